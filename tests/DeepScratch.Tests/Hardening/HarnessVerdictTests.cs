using System.Diagnostics;
using DeepScratch.Hardening.Fuzz;
using DeepScratch.Hardening.Pickles;

namespace DeepScratch.Tests.Hardening;

/// <summary>
/// The harnesses' front doors, fast: an unwritable <c>--json</c> or an <c>--out</c> that is a file is refused at the start
/// (one line, exit 2), and a run that a time limit cut short is INCOMPLETE, never a PASS.
/// </summary>
public sealed class HarnessVerdictTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deepscratch-verdict-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string> Harnesses => new() { "fuzz", "pickles", "faults", "kill", "load" };

    [Theory]
    [MemberData(nameof(Harnesses))]
    public void An_unwritable_json_path_is_refused_before_the_run_in_one_line_with_exit_2(string harness)
    {
        var proc = Harness(harness, "--json", "/proc/x.json");
        Assert.Equal(2, proc.Exit);
        Assert.Equal($"hardening {harness}: --json: cannot write /proc/x.json: files cannot be created in /proc.", Assert.Single(proc.StderrLines));
        Assert.Equal("", proc.Stdout);

        var folder = Harness(harness, "--json", _folder);
        Assert.Equal(2, folder.Exit);
        Assert.Equal($"hardening {harness}: --json: cannot write {_folder}: it is a folder; give a file name.", Assert.Single(folder.StderrLines));

        string missing = Path.Combine(_folder, "no-such-folder", "report.json");
        var absent = Harness(harness, "--json", missing);
        Assert.Equal(2, absent.Exit);
        Assert.Equal($"hardening {harness}: --json: cannot write {missing}: folder {Path.GetDirectoryName(missing)} does not exist.", Assert.Single(absent.StderrLines));
    }

    [Fact]
    public void A_fuzz_out_that_is_a_file_is_refused_before_the_run_with_exit_2()
    {
        string file = Path.Combine(_folder, "not-a-folder");
        File.WriteAllText(file, "x");
        var proc = Harness("fuzz", "--out", file);
        Assert.Equal(2, proc.Exit);
        Assert.Equal($"hardening fuzz: --out {file}: it is a file; give a folder (created when absent).", Assert.Single(proc.StderrLines));
        Assert.Equal("x", File.ReadAllText(file));
    }

    [Fact]
    public void A_pickles_run_cut_short_by_its_time_limit_is_incomplete_not_a_pass()
    {
        // --seconds 0.5 on a loaded machine: nothing tried, all 2,800 left.
        var nothing = new PickleHarnessReport([], [], [], NotTried: 2800, Seconds: 0.5);
        Assert.Equal(["INCOMPLETE: no payload tried (2800 not tried within the time limit; raise --seconds)"], PicklesCommand.FailedChecks(nothing));

        var route = new RouteFigures("REDUCE", Payloads: 10, WithSideEffect: 4, LiveUnderPython: 4, Refused: 10, SideEffects: 0);
        var part = new PickleHarnessReport([route], [], [], NotTried: 5, Seconds: 0.5);
        Assert.Equal(["INCOMPLETE: 5 payloads not tried within the time limit (raise --seconds)"], PicklesCommand.FailedChecks(part));

        // The same figures with every payload tried pass: the verdict turns on the untried ones alone.
        Assert.Empty(PicklesCommand.FailedChecks(part with { NotTried = 0 }));
    }

    [Fact]
    public void A_fuzz_format_with_no_input_tried_is_incomplete_not_a_pass()
    {
        var tried = new FormatReport("idx-labels", "IdxReader", 100, 10, 90, 0, 0, 1.5, 3, 100, 10, 50, []);
        var untried = tried with { Format = "npy", Inputs = 0, Accepted = 0, Refused = 0 };
        Assert.Equal(["INCOMPLETE: npy: no input tried within the time limit (raise --seconds)"],
            FuzzCommand.FailedChecks(new FuzzReport(1, 4096, 10, [tried, untried], [])));
        Assert.Empty(FuzzCommand.FailedChecks(new FuzzReport(1, 4096, 10, [tried], [])));
    }

    private static (int Exit, string Stdout, string[] StderrLines) Harness(params string[] args) =>
        ChildProcess.RunReferencedProgram("DeepScratch.Hardening.dll", args);
}
