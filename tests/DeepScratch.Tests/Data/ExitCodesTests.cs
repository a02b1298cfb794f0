using DeepScratch.Data;
using DeepScratch.Training;

namespace DeepScratch.Tests.Data;

/// <summary>The one classification of failures into exit codes, shared by the CLI and the chapter scripts.</summary>
public sealed class ExitCodesTests
{
    [Fact]
    public void The_codes_are_the_projects_documented_ones()
    {
        // The project's rules (and the CLI's help): 2 usage, 3 data, 4 diverged, 70 internal (BSD's EX_SOFTWARE).
        Assert.Equal((2, 3, 4, 70), (ExitCodes.Usage, ExitCodes.Data, ExitCodes.Diverged, ExitCodes.Internal));
    }

    public static TheoryData<Exception, int> Failures() => new()
    {
        { new TrainingDivergedException("training diverged at iteration 3: the loss is NaN."), 4 },
        { new TrainingDivergedException("loss NaN", DivergenceSign.NonFiniteLoss, DivergenceCause.LearningRate, 7), 4 },
        { new InvalidDataException("bad magic"), 3 },
        { new FileNotFoundException("missing"), 3 },
        { new DirectoryNotFoundException("no folder"), 3 },
        { new UnauthorizedAccessException("denied"), 3 },
        { new IOException("disk"), 3 },
        { new EndOfStreamException("short file"), 3 },
        { new DataUnavailableException("offline"), 3 },
        { new ArgumentException("misused API"), 70 },
        { new InvalidOperationException("bug"), 70 },
        { new NullReferenceException(), 70 },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Each_failure_gets_its_kinds_code(Exception failure, int expected)
    {
        Assert.Equal(expected, ExitCodes.For(failure));
    }

    [Fact]
    public void No_library_exception_is_a_usage_mistake()
    {
        // Only a front end knows its own usage-error type; the library never answers 2.
        Assert.All(Failures(), row => Assert.NotEqual(2, ExitCodes.For((Exception)row[0])));
    }

    [Fact]
    public void The_error_line_is_one_line_with_control_characters_escaped()
    {
        // A file-supplied name with an escape sequence and a line break must not reach the terminal as such.
        string line = ExitCodes.ErrorLine("script", "bad \u001b[2Jname\nsecond line ");
        Assert.Equal("script: error: bad \\x1b[2Jname second line", line);
    }

    [Fact]
    public void An_internal_error_line_names_the_type_and_asks_for_a_report()
    {
        var failure = new InvalidOperationException("state broke.");
        Assert.Equal(
            "deepscratch: error: internal error (InvalidOperationException): state broke. Please report it; set DEEPSCRATCH_DEBUG=1 for details.",
            ExitCodes.ErrorLine("deepscratch", failure.Message, ExitCodes.For(failure), failure));
        Assert.Equal("deepscratch: error: state broke.", ExitCodes.ErrorLine("deepscratch", failure.Message, ExitCodes.Data, failure));
    }
}
