using DeepScratch.Hardening.Faults;

namespace DeepScratch.Tests.Hardening;

/// <summary>The short version of the <c>faults</c> harness: every server fault twice (alone, then before a good mirror).</summary>
public sealed class DownloadFaultsHarnessTests
{
    [Fact]
    public void Every_fault_once_alone_and_once_before_a_good_mirror_leaves_no_partial_or_wrong_file()
    {
        var report = DownloadFaults.Run(new DownloadFaultsOptions(Seed: 7, Rounds: 1, IdleTimeoutSeconds: 2));

        Assert.True(report.Problems.Count == 0, string.Join("\n", report.Problems));
        var faults = Enum.GetValues<ServerFault>().Where(f => f != ServerFault.Good).ToArray();
        Assert.Equal(faults, report.Faults.Select(f => f.Fault));
        foreach (var f in report.Faults)
        {
            Assert.Equal(2, f.Attempts);
            Assert.Equal(0, f.PartialFilesLeft);
            Assert.Equal(0, f.WrongFilesAccepted);
            Assert.Equal(0, f.Unexpected);
            Assert.Equal(1, f.FallbacksSucceeded);

            // A redirect to a good mirror is not a failure to diagnose: it delivers the file on its own.
            Assert.Equal(f.Fault == ServerFault.RedirectToGood ? 0 : 1, f.Diagnosed);
        }

        Assert.True(report.Passed);
    }
}
