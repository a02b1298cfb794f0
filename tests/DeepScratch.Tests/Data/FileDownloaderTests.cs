using System.IO.Compression;
using System.Security.Cryptography;
using DeepScratch.Data;

namespace DeepScratch.Tests.Data;

public sealed class FileDownloaderTests : IDisposable
{
    private const string Name = "t10k-labels-idx1-ubyte.gz";

    private static readonly byte[] Content = IdxFiles.SampleLabelsFile();
    private static readonly byte[] Published = IdxFiles.Gzip(Content, CompressionLevel.Optimal);
    private static readonly byte[] Recompressed = IdxFiles.Gzip(Content, CompressionLevel.NoCompression);

    private readonly TempFolder _temp = new();
    private readonly HttpClient _http = LocalHttpServer.CreateClient();

    public void Dispose()
    {
        _http.Dispose();
        _temp.Dispose();
    }

    private static FileDigest PublishedMd5 => FileDigest.Md5(Convert.ToHexStringLower(MD5.HashData(Published)));

    private static FileDigest ContentSha256 => FileDigest.Sha256OfContent(Convert.ToHexStringLower(SHA256.HashData(Content)));

    private static DatasetFile Labels(IEnumerable<Uri> urls, params FileDigest[] digests) =>
        new("mnist", Name, urls.ToArray(), digests);

    private string Destination => _temp.File("mnist", Name);

    /// <summary>Partial downloads left behind: the temporary files (<c>.NAME.PID-RANDOM.tmp</c>, once <c>.part</c>).</summary>
    private string[] PartFiles() =>
        Directory.Exists(_temp.File("mnist"))
            ? Directory.GetFiles(_temp.File("mnist"), "*", SearchOption.AllDirectories)
                .Where(p => Path.GetFileName(p).StartsWith('.') || p.EndsWith(".part", StringComparison.Ordinal)).ToArray()
            : [];

    [Fact]
    public void Download_fetches_the_file_and_accepts_it_by_the_md5_of_the_gz()
    {
        using var server = new LocalHttpServer(new Dictionary<string, byte[]> { ["/a/" + Name] = Published });
        var file = Labels([server.Url("a/" + Name)], PublishedMd5);

        new FileDownloader(_http).Download(file, Destination);

        Assert.Equal(Published, File.ReadAllBytes(Destination));
        Assert.Equal(Content[8..], IdxReader.ReadLabels(Destination));
        Assert.Equal(new[] { "/a/" + Name }, server.Requests);
        Assert.Empty(PartFiles());
    }

    [Fact]
    public void Download_accepts_a_recompressed_copy_by_the_sha256_of_its_content()
    {
        Assert.NotEqual(Published, Recompressed); // else the test proves nothing
        using var server = new LocalHttpServer(new Dictionary<string, byte[]> { ["/" + Name] = Recompressed });
        var file = Labels([server.Url(Name)], PublishedMd5, ContentSha256);

        new FileDownloader(_http).Download(file, Destination);

        Assert.Equal(Recompressed, File.ReadAllBytes(Destination));
    }

    [Fact]
    public void Download_falls_back_to_the_next_mirror_after_a_404()
    {
        using var server = new LocalHttpServer(new Dictionary<string, byte[]> { ["/second/" + Name] = Published });
        var file = Labels([server.Url("first/" + Name), server.Url("second/" + Name)], PublishedMd5);

        new FileDownloader(_http).Download(file, Destination);

        Assert.Equal(Published, File.ReadAllBytes(Destination));
        Assert.Equal(new[] { "/first/" + Name, "/second/" + Name }, server.Requests);
    }

    [Fact]
    public void Download_falls_back_to_the_next_mirror_when_one_refuses_connections()
    {
        using var server = new LocalHttpServer(new Dictionary<string, byte[]> { ["/" + Name] = Published });
        var refused = new Uri($"http://127.0.0.1:{LocalHttpServer.FreePort()}/{Name}");
        var file = Labels([refused, server.Url(Name)], PublishedMd5);

        new FileDownloader(_http).Download(file, Destination);

        Assert.Equal(Published, File.ReadAllBytes(Destination));
    }

    [Fact]
    public void Download_falls_back_to_the_next_mirror_when_one_serves_a_wrong_file()
    {
        using var server = new LocalHttpServer(new Dictionary<string, byte[]>
        {
            ["/bad/" + Name] = IdxFiles.Gzip(IdxFiles.Labels(3, [1, 1, 1])),
            ["/good/" + Name] = Published,
        });
        var file = Labels([server.Url("bad/" + Name), server.Url("good/" + Name)], PublishedMd5, ContentSha256);

        new FileDownloader(_http).Download(file, Destination);

        Assert.Equal(Published, File.ReadAllBytes(Destination));
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public void Download_treats_a_corrupt_gzip_from_a_mirror_as_a_checksum_mismatch_and_tries_the_next()
    {
        byte[] corrupt = [.. Published[..10], .. IdxFiles.Noise(64, seed: 7)];
        using var server = new LocalHttpServer(new Dictionary<string, byte[]>
        {
            ["/bad/" + Name] = corrupt,
            ["/good/" + Name] = Recompressed,
        });
        var file = Labels([server.Url("bad/" + Name), server.Url("good/" + Name)], PublishedMd5, ContentSha256);

        new FileDownloader(_http).Download(file, Destination);

        Assert.Equal(Recompressed, File.ReadAllBytes(Destination));
        Assert.Empty(PartFiles());
    }

    [Fact]
    public void Download_rejects_a_checksum_mismatch_on_every_mirror_leaving_no_file()
    {
        var wrong = IdxFiles.Gzip(IdxFiles.Labels(3, [1, 1, 1]));
        using var server = new LocalHttpServer(new Dictionary<string, byte[]> { ["/1/" + Name] = wrong, ["/2/" + Name] = wrong });
        var file = Labels([server.Url("1/" + Name), server.Url("2/" + Name)], PublishedMd5, ContentSha256);

        var e = Assert.Throws<DataUnavailableException>(() => new FileDownloader(_http).Download(file, Destination));

        Assert.Contains("checksum", e.Message);
        Assert.Contains(server.Url("1/" + Name).ToString(), e.Message);
        Assert.Contains(server.Url("2/" + Name).ToString(), e.Message);
        Assert.False(File.Exists(Destination));
        Assert.Empty(PartFiles());
        Assert.False(Directory.Exists(_temp.File("mnist")), "the folder made for the download is removed when nothing was kept");
    }

    [Fact]
    public void A_failed_download_leaves_an_existing_file_untouched()
    {
        byte[] old = [1, 2, 3, 4];
        _temp.Write("mnist/" + Name, old);
        using var server = new LocalHttpServer(new Dictionary<string, byte[]> { ["/" + Name] = Recompressed });
        var file = Labels([server.Url(Name)], FileDigest.Sha256(new string('0', 64)));

        var e = Assert.Throws<DataUnavailableException>(() => new FileDownloader(_http).Download(file, Destination));

        Assert.Contains("checksum", e.Message);
        Assert.Equal(old, File.ReadAllBytes(Destination));
        Assert.Equal(new[] { Destination }, Directory.GetFiles(_temp.File("mnist")));
    }

    [Fact]
    public void Download_when_every_mirror_404s_throws_DataUnavailable_naming_the_status()
    {
        using var server = new LocalHttpServer(new Dictionary<string, byte[]>());
        var file = Labels([server.Url("1/" + Name), server.Url("2/" + Name)], PublishedMd5);

        var e = Assert.Throws<DataUnavailableException>(() => new FileDownloader(_http).Download(file, Destination));

        Assert.Contains(Name, e.Message);
        Assert.Contains("404", e.Message);
        Assert.False(File.Exists(Destination));
        Assert.Empty(PartFiles());
    }

    [Fact]
    public void Progress_reports_grow_to_the_final_byte_count()
    {
        var big = IdxFiles.Noise(300_000, seed: 8); // several 64 KiB reads
        using var server = new LocalHttpServer(new Dictionary<string, byte[]> { ["/" + Name] = big });
        var file = Labels([server.Url(Name)], FileDigest.Sha256(Convert.ToHexStringLower(SHA256.HashData(big))));
        var progress = new RecordingProgress();

        new FileDownloader(_http).Download(file, Destination, progress);

        Assert.NotEmpty(progress.Reports);
        Assert.All(progress.Reports, r => Assert.Equal(Name, r.FileName));
        Assert.All(progress.Reports, r => Assert.Equal(big.Length, r.TotalBytes));
        Assert.Equal(big.Length, progress.Reports[^1].BytesReceived);
        Assert.True(
            progress.Reports.Zip(progress.Reports.Skip(1)).All(p => p.First.BytesReceived < p.Second.BytesReceived),
            "progress must only grow");
    }

    [Fact]
    public void Verify_returns_null_on_a_match_and_a_checksum_message_otherwise()
    {
        string path = _temp.Write("labels.gz", Recompressed);

        Assert.Null(FileDownloader.Verify(path, [ContentSha256]));
        Assert.Null(FileDownloader.Verify(path, [FileDigest.Md5(Convert.ToHexStringLower(MD5.HashData(Recompressed)).ToUpperInvariant())]));
        Assert.Null(FileDownloader.Verify(path, []));
        string? mismatch = FileDownloader.Verify(path, [PublishedMd5]);
        Assert.NotNull(mismatch);
        Assert.Contains("checksum", mismatch);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(Recompressed)), mismatch);
    }

    [Fact]
    public void Verify_does_not_match_a_content_digest_against_the_raw_bytes_of_a_gzip()
    {
        string path = _temp.Write("labels.gz", Published);
        var rawSha = Convert.ToHexStringLower(SHA256.HashData(Published));

        Assert.NotNull(FileDownloader.Verify(path, [FileDigest.Sha256OfContent(rawSha)]));
        Assert.Null(FileDownloader.Verify(path, [FileDigest.Sha256(rawSha)]));
    }

    [Fact]
    public void Verify_of_a_corrupt_gzip_against_a_content_digest_reports_a_mismatch_instead_of_throwing()
    {
        string path = _temp.Write("labels.gz", [.. Published[..10], .. IdxFiles.Noise(64, seed: 9)]);

        string? mismatch = FileDownloader.Verify(path, [ContentSha256]);

        Assert.NotNull(mismatch);
        Assert.Contains("checksum", mismatch);
        Assert.Contains("corrupt", mismatch);
    }

    [Fact]
    public void Ensure_with_a_downloader_downloads_the_missing_files_and_returns_their_paths()
    {
        const string imagesName = "t10k-images-idx3-ubyte.gz";
        var images = IdxFiles.Gzip(IdxFiles.SampleImagesFile());
        using var server = new LocalHttpServer(new Dictionary<string, byte[]>
        {
            ["/" + imagesName] = images,
            ["/" + Name] = Published,
        });
        var imagesFile = new DatasetFile("mnist", imagesName, [server.Url(imagesName)], [FileDigest.Md5(Convert.ToHexStringLower(MD5.HashData(images)))]);
        var labelsFile = Labels([server.Url(Name)], PublishedMd5);
        var store = new DataStore(_temp.Path, new FileDownloader(_http));

        var paths = store.Ensure([imagesFile, labelsFile]);

        Assert.Equal(new[] { store.PathOf(imagesFile), store.PathOf(labelsFile) }, paths);
        var set = Mnist.Read(paths[0], paths[1]);
        Assert.Equal(IdxFiles.SamplePixels, set.Images.Pixels);
        Assert.Equal(IdxFiles.SampleLabels, set.Labels);

        // Present now: a second call downloads nothing.
        int requests = server.Requests.Count;
        Assert.Equal(paths, store.Ensure([imagesFile, labelsFile]));
        Assert.Equal(requests, server.Requests.Count);
    }

    [Fact]
    public void Ensure_downloads_only_what_is_missing()
    {
        _temp.Write("mnist/t10k-images-idx3-ubyte", IdxFiles.SampleImagesFile());
        using var server = new LocalHttpServer(new Dictionary<string, byte[]> { ["/" + Name] = Published });
        var imagesFile = new DatasetFile("mnist", "t10k-images-idx3-ubyte.gz", [server.Url("t10k-images-idx3-ubyte.gz")], []);
        var store = new DataStore(_temp.Path, new FileDownloader(_http));

        var paths = store.Ensure([imagesFile, Labels([server.Url(Name)], PublishedMd5)]);

        Assert.Equal(_temp.File("mnist", "t10k-images-idx3-ubyte"), paths[0]);
        Assert.Equal(new[] { "/" + Name }, server.Requests);
    }

    [Fact]
    public void Ensure_with_a_failing_downloader_names_the_missing_file_and_why()
    {
        using var server = new LocalHttpServer(new Dictionary<string, byte[]> { ["/" + Name] = Recompressed });
        var file = Labels([server.Url(Name)], PublishedMd5);
        var store = new DataStore(_temp.Path, new FileDownloader(_http));

        var e = Assert.Throws<DataUnavailableException>(() => store.Ensure(file));

        Assert.Contains(store.PathOf(file), e.Message);
        Assert.Contains("checksum", e.Message);
        Assert.Contains("DEEPSCRATCH_DATA", e.Message);
        Assert.False(File.Exists(store.PathOf(file)));
    }

    /// <summary>Records reports synchronously (<see cref="Progress{T}"/> would post them to the thread pool).</summary>
    private sealed class RecordingProgress : IProgress<DownloadProgress>
    {
        public List<DownloadProgress> Reports { get; } = [];

        public void Report(DownloadProgress value) => Reports.Add(value);
    }
}
