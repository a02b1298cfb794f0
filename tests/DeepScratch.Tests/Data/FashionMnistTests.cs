using DeepScratch.Data;

namespace DeepScratch.Tests.Data;

public sealed class FashionMnistTests : IDisposable
{
    private readonly TempFolder _empty = new();

    public void Dispose() => _empty.Dispose();

    [FashionMnistFact]
    public void An_empty_data_folder_finds_the_training_images_in_the_system_folder()
    {
        var file = Catalog.Images(DatasetKind.FashionMnist, DatasetSplit.Train);

        string? found = new DataStore(_empty.Path, null).Find(file);

        Assert.Equal(Path.Combine(Catalog.FashionSystemFolder, "train-images-idx3-ubyte.gz"), found);
    }

    [FashionMnistFact]
    public void The_system_training_set_reads_as_60000_images_of_28_by_28_with_6000_per_class()
    {
        var set = Mnist.LoadSet(DatasetSplit.Train, new DataStore(_empty.Path, null), DatasetKind.FashionMnist);

        Assert.Equal((60_000, 28, 28), (set.Images.Count, set.Images.Rows, set.Images.Columns));
        Assert.Equal(60_000, set.Labels.Length);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(6_000, set.Labels.Count(l => l == c)));

        // Computed with numpy from Debian's train-images/train-labels: the first labels and the pixel sum of image 0.
        Assert.Equal(new byte[] { 9, 0, 0, 3, 0 }, set.Labels[..5]);
        long sum = 0;
        foreach (byte p in set.Images.Image(0))
        {
            sum += p;
        }

        Assert.Equal(76247, sum);
    }

    [FashionMnistFact]
    public void Every_system_file_passes_the_catalog_checksums_by_its_content()
    {
        // Debian re-compressed the files: the official md5 of the .gz does not match, the content sha256 does.
        foreach (var (split, images) in new[] { (DatasetSplit.Train, true), (DatasetSplit.Train, false), (DatasetSplit.Test, true), (DatasetSplit.Test, false) })
        {
            var file = images ? Catalog.Images(DatasetKind.FashionMnist, split) : Catalog.Labels(DatasetKind.FashionMnist, split);
            string path = Path.Combine(Catalog.FashionSystemFolder, file.FileName);

            Assert.True(File.Exists(path), $"{path} is missing");
            Assert.Null(FileDownloader.Verify(path, file.Digests));
            Assert.Contains(file.Digests, d => d.OfDecompressed);
        }
    }
}
