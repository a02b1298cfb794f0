using DeepScratch.Hardening.Faults;
using DeepScratch.Tests.Cli;
using DeepScratch.Tests.Data;

namespace DeepScratch.Tests.Hardening;

/// <summary>
/// A download fault as a user meets it: <c>deepscratch eval</c> with downloads on, behind an HTTPS proxy (the
/// <c>HTTPS_PROXY</c> variable .NET honours) that is a loopback <see cref="FaultServer"/> failing each mirror its own way.
/// No real server is contacted.
/// </summary>
public sealed class DownloadFaultCliTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly FaultServer _proxy = new();

    public void Dispose()
    {
        _proxy.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Eval_whose_mirrors_all_fail_prints_one_line_naming_each_mirror_and_exits_3_leaving_no_file()
    {
        // The catalog's two MNIST mirrors, as the proxy sees them (CONNECT host:443).
        _proxy.Add("ossci-datasets.s3.amazonaws.com:443", ServerFault.ServerError, []);
        _proxy.Add("storage.googleapis.com:443", ServerFault.Reset, [], cut: 0);
        string data = _temp.File("data");
        var environment = new Dictionary<string, string>
        {
            ["DEEPSCRATCH_OFFLINE"] = "0",
            ["HTTPS_PROXY"] = _proxy.BaseUri.ToString(),
            ["https_proxy"] = _proxy.BaseUri.ToString(),
            ["ALL_PROXY"] = "",
            ["all_proxy"] = "",
            ["NO_PROXY"] = "",
            ["no_proxy"] = "",
        };

        var r = CliRunner.Run(_temp.Path, environment, "eval", "--data", data, "--weights", TestData.Weights("sample_weight.pkl"));

        Assert.Equal(3, r.ExitCode);
        string line = Assert.Single(r.StderrLines);
        Assert.StartsWith("deepscratch: ", line);
        Assert.Contains("could not download t10k-images-idx3-ubyte.gz (mirror 1 https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz: ", line);
        Assert.Contains("; mirror 2 https://storage.googleapis.com/cvdf-datasets/mnist/t10k-images-idx3-ubyte.gz: ", line);
        Assert.Contains("could not download t10k-labels-idx1-ubyte.gz (mirror 1 ", line);
        Assert.Contains("500", line);
        Assert.Contains(["ossci-datasets.s3.amazonaws.com:443", "storage.googleapis.com:443"], t => _proxy.Requests.Contains(t));
        Assert.False(Directory.Exists(data), "nothing was downloaded, so no folder is made");
        Assert.DoesNotContain(Directory.GetFiles(_temp.Path, "*", SearchOption.AllDirectories), p => !p.Contains("/cache/", StringComparison.Ordinal));
    }
}
