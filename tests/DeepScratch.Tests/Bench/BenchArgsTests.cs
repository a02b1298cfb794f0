using System.Diagnostics;
using DeepScratch.Bench;

namespace DeepScratch.Tests.Bench;

/// <summary>
/// The benchmark's command line: what each argument selects, and every mistake refused before any work in one line
/// with exit 2 (run as a process, as a user runs it).
/// </summary>
public sealed class BenchArgsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deepscratch-bench-args-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void No_arguments_run_every_part_of_all_on_the_default_data_folder()
    {
        var args = BenchArgs.Parse([], "/default/data", out string? error);
        Assert.Null(error);
        Assert.Equal(new BenchArgs("all", "/default/data", null), args);
        foreach (string part in new[] { "peak", "gemm", "mlp", "cnn", "train", "scaling", "process" })
        {
            Assert.True(args!.Runs(part), part);
        }

        // The kernel-level profiles are parts of their own, not of "all".
        foreach (string part in new[] { "conv", "steps", "trainconv", "trainsteps" })
        {
            Assert.False(args!.Runs(part), part);
        }
    }

    [Fact]
    public void A_part_with_its_options_in_any_order_runs_that_part_only()
    {
        var args = BenchArgs.Parse(["--json", "rows.json", "scaling", "--data", "/d"], "/default", out string? error);
        Assert.Null(error);
        Assert.Equal(new BenchArgs("scaling", "/d", "rows.json"), args);
        Assert.True(args!.Runs("scaling"));
        Assert.False(args.Runs("mlp"));
        Assert.False(args.Runs("all"));
    }

    [Theory]
    [InlineData(new[] { "bogus" }, "unknown argument 'bogus'")]
    [InlineData(new[] { "mlp", "gemm" }, "one part at a time ('mlp' and 'gemm' given; 'all' runs every part)")]
    [InlineData(new[] { "mlp", "--json" }, "--json needs a value")]
    [InlineData(new[] { "--data" }, "--data needs a value")]
    [InlineData(new[] { "--data", "" }, "--data needs a value")]
    [InlineData(new[] { "--threads", "2" }, "unknown argument '--threads'")]
    public void A_mistake_is_named_in_one_sentence(string[] args, string expected)
    {
        Assert.Null(BenchArgs.Parse(args, "/default", out string? error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData(new[] { "bogus" }, "DeepScratch.Bench: unknown argument 'bogus'. Usage: [all|peak|gemm|mlp|cnn|train|scaling|process|conv|steps|trainconv|trainsteps] [--only mlp|cnn] [--data DIR] [--json FILE]")]
    [InlineData(new[] { "process", "peak" }, "DeepScratch.Bench: one part at a time ('process' and 'peak' given; 'all' runs every part). Usage: [all|peak|gemm|mlp|cnn|train|scaling|process|conv|steps|trainconv|trainsteps] [--only mlp|cnn] [--data DIR] [--json FILE]")]
    [InlineData(new[] { "scaling-child", "--data", "/nowhere" }, "DeepScratch.Bench: scaling-child needs --json FILE.")]
    public void The_program_refuses_a_mistake_in_one_line_with_exit_2_before_any_work(string[] args, string expected)
    {
        var run = Bench(args);
        Assert.Equal(2, run.Exit);
        Assert.Equal(expected, Assert.Single(run.StderrLines));
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public void An_unwritable_json_path_is_refused_before_the_run_in_one_line_with_exit_2()
    {
        var folder = Bench("peak", "--json", _folder);
        Assert.Equal(2, folder.Exit);
        Assert.Equal($"DeepScratch.Bench: --json: cannot write {_folder}: it is a folder; give a file name.", Assert.Single(folder.StderrLines));
        Assert.Equal("", folder.Stdout);

        string missing = Path.Combine(_folder, "no-such-folder", "rows.json");
        var absent = Bench("peak", "--json", missing);
        Assert.Equal(2, absent.Exit);
        Assert.Equal($"DeepScratch.Bench: --json: cannot write {missing}: folder {Path.GetDirectoryName(missing)} does not exist.", Assert.Single(absent.StderrLines));
        Assert.Equal("", absent.Stdout);
    }

    private static (int Exit, string Stdout, string[] StderrLines) Bench(params string[] args) =>
        ChildProcess.RunReferencedProgram("DeepScratch.Bench.dll", args);
}
