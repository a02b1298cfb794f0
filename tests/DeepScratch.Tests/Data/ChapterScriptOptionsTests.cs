using DeepScratch.Data;

namespace DeepScratch.Tests.Data;

/// <summary>The chapter scripts' command line (<c>ChapterScript.Parse</c>, what <c>Start</c> acts on), without a process.</summary>
public sealed class ChapterScriptOptionsTests
{
    [Fact]
    public void The_options_parse_in_any_order()
    {
        var (options, error) = ChapterScript.Parse(["--quick", "--data", "/tmp/d", "--dataset", "Fashion-MNIST"]);
        Assert.Null(error);
        Assert.Equal((DatasetKind.FashionMnist, true, "/tmp/d"), options);
        Assert.Equal((DatasetKind.Mnist, false, (string?)null), ChapterScript.Parse([]).Options);
    }

    [Theory]
    [InlineData(new[] { "--dataset" }, "--dataset needs a value (mnist or fashion-mnist)")]
    [InlineData(new[] { "--quick", "--dataset" }, "--dataset needs a value (mnist or fashion-mnist)")]
    [InlineData(new[] { "--data" }, "--data needs a value (the data folder)")]
    [InlineData(new[] { "--dataset", "mnist", "--data" }, "--data needs a value (the data folder)")]
    [InlineData(new[] { "--dataset", "cifar" }, "unknown dataset 'cifar' (expected mnist or fashion-mnist)")]
    [InlineData(new[] { "--quik" }, "unknown argument '--quik' (expected --dataset mnist|fashion-mnist, --quick, --data DIR)")]
    public void A_mistake_is_one_line_naming_the_choices(string[] args, string expected)
    {
        var (options, error) = ChapterScript.Parse(args);
        Assert.Null(options);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void The_messages_name_every_dataset_the_library_has()
    {
        // Built from the enum: a new DatasetKind shows up in the messages without editing them.
        string? error = ChapterScript.Parse(["--dataset"]).Error;
        Assert.All(Enum.GetValues<DatasetKind>(), k => Assert.Contains(Catalog.FolderName(k), error));
    }
}
