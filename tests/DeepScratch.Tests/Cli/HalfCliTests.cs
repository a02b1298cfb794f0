using System.Text.RegularExpressions;
using DeepScratch.Tests.Models;

namespace DeepScratch.Tests.Cli;

/// <summary><c>deepscratch eval --half</c>: chapter 8's float16 weights, end to end.</summary>
public sealed class HalfCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deepscratch-half-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Eval_half_says_float16_and_gives_numpys_accuracy()
    {
        var r = CliRunner.Run(_dir, "eval", "--half", "--data", TestData.Dir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string output = r.Stdout.Replace("\r", "");
        // W1..b3 of sample_weight.pkl: 784·50 + 50 + 50·100 + 100 + 100·10 + 10 values.
        Assert.Matches(new Regex(@"^Weights:  float16 \(45360 weights stored as System\.Half, largest rounding change [0-9.e-]+; computed in float32\)$", RegexOptions.Multiline), output);
        Assert.Matches(new Regex(@"^Accuracy: 0\.9352$", RegexOptions.Multiline), output);
    }

    [Fact]
    public void Eval_without_half_says_nothing_about_float16()
    {
        var r = CliRunner.Run(_dir, "eval", "--data", TestData.Dir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("float16", r.Stdout);
    }

    [Fact]
    public void A_weight_too_large_for_float16_is_one_line_naming_file_and_array_never_a_silent_infinity()
    {
        var arrays = WeightFiles.Sample();
        arrays["W2"].Values[7] = 70000f;
        arrays["W2"].Values[8] = -1e5f;
        string path = WeightFiles.WritePickle(_dir, "big.pkl", arrays);

        var r = CliRunner.Run(_dir, "eval", "--half", "--data", TestData.Dir, "--weights", path);

        Assert.Equal(3, r.ExitCode);
        Assert.Equal(
            $"deepscratch: error: {path}: --half: W2 cannot be stored as float16: 2 of its 5000 values exceed float16's largest value 65504 (the largest |value| is 100000) and would become ∞.",
            Assert.Single(r.StderrLines));
        Assert.Equal("", r.Stdout);
    }
}
