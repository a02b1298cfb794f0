using DeepScratch.Hardening.Pickles;
using DeepScratch.Tests.Serialization;

namespace DeepScratch.Tests.Hardening;

/// <summary>
/// The short version of the <c>pickles</c> harness (issue 11 item 2), which is the whole corpus: 40 callables x 14
/// routes x 5 contexts, generated and checked under /usr/bin/python3 (CI has it; elsewhere the corpus test skips),
/// then the amplifying pickles at full size, which need no Python.
/// </summary>
public class HostilePickleHarnessTests
{
    private static readonly string[] Routes =
        ["GLOBAL", "STACK_GLOBAL", "REDUCE", "REDUCE_SG", "BUILD", "INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "EXT1", "EXT2", "EXT4", "PERSID", "BINPERSID"];

    [PythonNumpyFact]
    public void Every_hostile_payload_is_refused_before_its_callable_is_reached_and_nothing_happens()
    {
        var report = HostilePickleHarness.Run(new PickleHarnessOptions
        {
            BookPickle = TestData.Weights("sample_weight.pkl"),
            Python = PythonNumpyFactAttribute.Python,
            AmplifyingScale = 0,
        });

        Assert.True(report.Failures.Count == 0, string.Join("\n", report.Failures.Take(10)));
        Assert.Equal(Routes, report.Routes.Select(r => r.Route));
        // 40 callables in 5 contexts (top, dict, list, object array, the book's dict) per route.
        Assert.All(report.Routes, r => Assert.Equal(200, r.Payloads));
        Assert.Equal(2800, report.Payloads);
        Assert.Equal(report.Payloads, report.Refused);
        Assert.Equal(0, report.SideEffects);
        // The routes that call (REDUCE, BUILD, INST, OBJ, EXT with the code registered) really ran each side-effect
        // payload under Python: 20 callables create or delete a file (BUILD passes one argument: 16 of them).
        Assert.Equal(780, report.WithSideEffect);
        Assert.Equal(report.WithSideEffect, report.LiveUnderPython);
        Assert.All(report.Routes.Where(r => r.Route is "GLOBAL" or "STACK_GLOBAL" or "NEWOBJ" or "NEWOBJ_EX" or "PERSID" or "BINPERSID"),
            r => Assert.Equal(0, r.WithSideEffect));
        Assert.True(report.Passed);
    }

    [Fact]
    public void Amplifying_pickles_end_in_a_documented_outcome_within_the_allocation_bound()
    {
        var figures = AmplifyingPickles.Run(scale: 1, hangGuard: TimeSpan.FromSeconds(20));

        Assert.All(figures, f => Assert.False(f.Hung, f.Case));
        Assert.All(figures, f => Assert.True(f.WithinBound, $"{f.Case}: {f.Outcome}, {f.AllocatedBytes} bytes for {f.InputBytes}"));
        Assert.All(figures, f => Assert.True(f.AllocatedBytes <= AmplifyingPickles.Bound(f.InputBytes)));
        string Outcome(string name) => figures.Single(f => f.Case == name).Outcome;
        // Colliding keys still load, all 90,000 of them (a quadratic dict would be the hang guard's business).
        Assert.Equal("loaded 90000 arrays", Outcome("dict of colliding int keys"));
        Assert.StartsWith("refused: a dict key at the top level is a float", Outcome("dict of colliding float keys"));
        Assert.Contains("more than 100000 entries", Outcome("billion laughs: lists of 2 references, 30 levels"));
        Assert.Contains("more than 100000 entries", Outcome("billion laughs: dicts of 2 references, 30 levels"));
        Assert.Contains("more than 100000 entries", Outcome("one big list referenced by every item"));
        Assert.Contains("bytes of float32 data at 'k16'", Outcome("one array referenced by every key"));
        // A million levels really built (padded files afford them) end in the walk's depth limit, not a stack overflow.
        foreach (string deep in new[] { "lists nested 999,999 deep, padded to afford them", "TUPLE1 nested 999,999 deep, padded",
            "tuples nested 99,999 deep by MARK, padded", "dicts nested 400,000 deep, padded" })
        {
            Assert.Contains("is nested more than 32 levels deep", Outcome(deep));
        }

        Assert.Contains("EMPTY_LIST builds would need", Outcome("lists nested 999,999 deep"));
        Assert.Contains("more than 100000 open marks", Outcome("100,001 open MARKs"));
        Assert.Contains("more than 1000000 values on the stack", Outcome("1,000,000 DUPs of one value"));
        Assert.Contains("longer than 1024 characters", Outcome("a 32 MiB str key"));
    }
}
