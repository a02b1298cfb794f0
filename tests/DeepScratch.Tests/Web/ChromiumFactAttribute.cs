namespace DeepScratch.Tests.Web;

/// <summary>
/// A test that drives Debian's Chromium (<see cref="Executable"/>, package chromium). Where it is missing the test is
/// reported as skipped, with how to install it, except under CI (<c>CI=true</c>, .ci/run installs it), where it runs
/// and fails: there the page must really have been tested in a browser.
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    /// <summary>Debian's Chromium; no browser is ever downloaded by the tests.</summary>
    public const string Executable = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Executable) && !TestData.InCi)
        {
            Skip = $"Chromium is not installed at {Executable} (apt-get install -y chromium).";
        }
    }
}
