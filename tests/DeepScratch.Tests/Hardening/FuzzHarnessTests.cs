using DeepScratch.Hardening.Fuzz;
using DeepScratch.Tests.Data;

namespace DeepScratch.Tests.Hardening;

/// <summary>
/// Issue 11 item 1, the short version of the fuzz harness: every reader of untrusted bytes gets 1,000 seeded mutations
/// of the real files (fixed seed, so a failure replays) and must give zero internal errors, zero hangs and a bounded
/// memory ratio. The harness itself is shown able to fail: fake readers that throw an undocumented exception, give a
/// two-line message, hang, or allocate 100 times their input are caught, counted and saved for replay.
/// </summary>
public sealed class FuzzHarnessTests
{
    /// <summary>Inputs per format in CI (the long run does 100,000).</summary>
    /// <summary>
    /// 500 per format keeps every check (both outcomes reached, zero internal errors, the memory ratio) at half the CI
    /// time; the long run (<c>fuzz --count</c>) is where the numbers are large.
    /// </summary>
    private const int InputsPerFormat = 500;

    /// <summary>The worst memory ratio accepted: the harness's own bound, so the test and the long run judge alike.</summary>
    private const double MaxMemoryRatio = FuzzOptions.DefaultMaxMemoryRatio;

    [Fact]
    public void Every_reader_survives_five_hundred_mutations_per_format_with_no_internal_error_hang_or_memory_blowup()
    {
        using var work = new TempFolder();
        var targets = LibraryTargets.Create(TestData.Dir, work.File("seeds"));
        var engine = new FuzzEngine(targets, work.File("inputs"));

        var report = engine.Run(new FuzzOptions { Seed = 11, Count = InputsPerFormat, OutDirectory = work.File("failures") }, [LibraryTargets.OnnxNote]);

        Assert.Equal(LibraryTargets.Names, report.Formats.Select(f => f.Format));
        foreach (var f in report.Formats)
        {
            string failures = string.Join("; ", f.Failures.Take(3).Select(x => $"input {x.Index}: {x.Kind}: {x.Detail}"));
            Assert.True(f.InternalErrors == 0 && f.Hangs == 0, $"{f.Format}: {f.InternalErrors} internal errors, {f.Hangs} hangs: {failures}");
            Assert.Equal(InputsPerFormat, f.Inputs);
            Assert.Equal(f.Inputs, f.Accepted + f.Refused);
            Assert.True(f.WorstMemoryRatio < MaxMemoryRatio, $"{f.Format}: worst memory ratio {f.WorstMemoryRatio:F1} at input {f.WorstMemoryIndex}");
        }

        // Mutations must reach both outcomes, or the fuzzing says little: light mutations still load, heavy ones are refused.
        Assert.All(report.Formats.Where(f => f.Format != "sniff"), f => Assert.True(f.Accepted > 0 && f.Refused > f.Inputs / 2, $"{f.Format}: {f.Accepted} accepted, {f.Refused} refused"));
        Assert.True(report.Clean);
        Assert.Contains("onnx: not read by DeepScratch", report.Notes.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_seed_is_a_valid_file_its_reader_accepts()
    {
        using var work = new TempFolder();
        var targets = LibraryTargets.Create(TestData.Dir, work.File("seeds"));
        var engine = new FuzzEngine(targets, work.File("inputs"));
        foreach (var target in targets)
        {
            Assert.NotEmpty(target.Seeds);
            foreach (var seed in target.Seeds)
            {
                var outcome = engine.RunOne(target, seed.Bytes, TimeSpan.FromSeconds(60));
                Assert.True(outcome.Verdict == FuzzVerdict.Accepted, $"{target.Name} seed {seed.Name}: {outcome.Verdict} {outcome.Detail}");
            }
        }

        // The real files are seeds, not only the small cuts made from them.
        var names = targets.SelectMany(t => t.Seeds.Select(s => s.Name)).ToHashSet();
        string[] real = ["sample_weight.pkl", "params.pkl", "deep_convnet_params.pkl", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];
        Assert.All(real, name => Assert.Contains(name, names));
    }

    [Fact]
    public void An_input_is_the_same_bytes_for_the_same_seed_format_and_index()
    {
        var target = Fake("fake", (_, _) => 0);
        Assert.Equal(FuzzEngine.Input(target, 5, 7), FuzzEngine.Input(target, 5, 7));
        Assert.NotEqual(FuzzEngine.Input(target, 5, 7), FuzzEngine.Input(target, 5, 8));
        Assert.NotEqual(FuzzEngine.Input(target, 5, 7), FuzzEngine.Input(target, 6, 7));
        // The per-input seed does not depend on the process (string.GetHashCode would): FNV-1a of "5/fake/7", folded
        // to 31 bits, as computed in Python: h = 14695981039346656037; h = ((h ^ ord(c)) * 1099511628211) mod 2^64 per
        // character; ((h ^ (h >> 32)) mod 2^32) & 0x7FFFFFFF.
        Assert.Equal(2081258880, FuzzEngine.InputSeed(5, "fake", 7));
    }

    [Fact]
    public void A_reader_that_throws_IndexOutOfRange_is_counted_as_an_internal_error_and_its_inputs_saved_for_replay()
    {
        using var work = new TempFolder();
        // Faulty on inputs whose first byte is a multiple of 3; refuses odd lengths properly; accepts the rest.
        static bool Faulty(byte[] b) => b.Length > 0 && b[0] % 3 == 0;
        var target = Fake("faulty", (input, _) => Faulty(input)
            ? throw new IndexOutOfRangeException("Index was outside the bounds of the array.")
            : input.Length % 2 == 1 ? throw new InvalidDataException("odd length") : input.Length);
        var engine = new FuzzEngine([target], work.File("inputs"));

        var report = engine.Run(new FuzzOptions { Seed = 3, Count = 300, OutDirectory = work.File("out") });

        // The oracle: the same inputs regenerated from (seed, format, index) and judged by the predicates above.
        var inputs = Enumerable.Range(0, 300).Select(i => FuzzEngine.Input(target, 3, i)).ToArray();
        int faulty = inputs.Count(Faulty), refused = inputs.Count(b => !Faulty(b) && b.Length % 2 == 1);
        var f = Assert.Single(report.Formats);
        Assert.InRange(faulty, 1, 299);
        Assert.Equal(faulty, f.InternalErrors);
        Assert.Equal(refused, f.Refused);
        Assert.Equal(300 - faulty - refused, f.Accepted);
        Assert.False(report.Clean);
        foreach (var failure in f.Failures)
        {
            Assert.Equal("internal error", failure.Kind);
            Assert.Contains("System.IndexOutOfRangeException", failure.Detail, StringComparison.Ordinal);
            Assert.Equal(inputs[failure.Index], File.ReadAllBytes(failure.SavedAs));
            // Replaying the saved file gives the same verdict.
            Assert.Equal(FuzzVerdict.InternalError, engine.RunOne(target, File.ReadAllBytes(failure.SavedAs), TimeSpan.FromSeconds(10)).Verdict);
        }
    }

    [Fact]
    public void A_documented_exception_with_an_empty_or_two_line_message_is_an_internal_error()
    {
        using var work = new TempFolder();
        var engine = new FuzzEngine([], work.File("inputs"));
        var twoLines = Fake("two-lines", (_, _) => throw new InvalidDataException("bad file\n   at Reader.Read()"));
        var empty = Fake("empty", (_, _) => throw new InvalidDataException(" "));
        var fine = Fake("fine", (_, _) => throw new InvalidDataException("x.bin: bad file."));

        Assert.Equal(FuzzVerdict.InternalError, engine.RunOne(twoLines, [1, 2], TimeSpan.FromSeconds(10)).Verdict);
        Assert.Equal(FuzzVerdict.InternalError, engine.RunOne(empty, [1, 2], TimeSpan.FromSeconds(10)).Verdict);
        Assert.Equal(FuzzVerdict.Refused, engine.RunOne(fine, [1, 2], TimeSpan.FromSeconds(10)).Verdict);
    }

    [Fact]
    public void A_reader_that_hangs_is_counted_as_a_hang_saved_and_the_run_goes_on()
    {
        using var work = new TempFolder();
        using var release = new ManualResetEventSlim(false);
        static bool Stuck(byte[] b) => b.Length > 0 && b[0] % 4 == 0;
        var target = Fake("stuck", (input, _) =>
        {
            if (Stuck(input))
            {
                release.Wait(); // until the test ends: the harness must give up on it, not wait
            }

            return input.Length;
        });
        var engine = new FuzzEngine([target], work.File("inputs"));
        try
        {
            // 1 s, not 300 ms: only the stuck inputs wait it out, and a fresh reader thread on a loaded 2-core machine
            // must not be taken for a hang.
            var report = engine.Run(new FuzzOptions { Seed = 9, Count = 12, Timeout = TimeSpan.FromSeconds(1), OutDirectory = work.File("out") });

            int stuck = Enumerable.Range(0, 12).Count(i => Stuck(FuzzEngine.Input(target, 9, i)));
            var f = Assert.Single(report.Formats);
            Assert.InRange(stuck, 1, 11);
            Assert.Equal(stuck, f.Hangs);
            Assert.Equal(12 - stuck, f.Accepted);
            Assert.All(f.Failures, x => Assert.Equal("hang", x.Kind));
            Assert.All(f.Failures, x => Assert.True(File.Exists(x.SavedAs)));
            Assert.False(report.Clean);
        }
        finally
        {
            release.Set();
        }
    }

    [Fact]
    public void A_reader_that_allocates_a_hundred_times_its_input_is_flagged_above_the_bound()
    {
        using var work = new TempFolder();
        var options = new FuzzOptions { Seed = 2, Count = 20, OutDirectory = work.File("out") };
        var target = Fake("greedy", (input, _) =>
        {
            var waste = new byte[100 * (input.Length + options.FloorBytes)];
            GC.KeepAlive(waste);
            return 0;
        });

        var report = new FuzzEngine([target], work.File("inputs")).Run(options);

        var f = Assert.Single(report.Formats);
        Assert.InRange(f.WorstMemoryRatio, 100, 110);
        Assert.True(f.WorstMemoryRatio > MaxMemoryRatio);
        Assert.False(report.Clean);
        Assert.Equal(1, report.FailedChecks);
    }

    [Fact]
    public void The_command_line_refuses_a_bad_argument_with_exit_2()
    {
        Assert.Equal(2, FuzzCommand.Run(["--count", "0"]));
        Assert.Equal(2, FuzzCommand.Run(["--format", "onnx"]));
        Assert.Equal(2, FuzzCommand.Run(["--replay", "x.bin"]));
    }

    /// <summary>A fake format whose seeds are a few small byte strings, with the given reader and InvalidDataException documented.</summary>
    private static FuzzTarget Fake(string name, Func<byte[], string, long> read) =>
        new(name, "fake reader", ".bin",
            [new("a", [.. Enumerable.Range(0, 64).Select(i => (byte)i)]), new("b", [.. Enumerable.Range(0, 200).Select(i => (byte)(255 - i))])],
            read, [typeof(InvalidDataException)], null);
}
