using System.Diagnostics;
using DeepScratch.Tests.Cli;
using DeepScratch.Tests.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DeepScratch.Tests.Onnx;

/// <summary><c>deepscratch export</c> run as a process: the file it writes, its line, and its exit codes for mistakes.</summary>
public sealed class ExportCliTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ExportsTheBookMlpThatOnnxRuntimeRuns()
    {
        string output = _dir.File("mlp.onnx");
        var r = CliRunner.Run(_dir.Path, "export", "--weights", TestData.Weights("sample_weight.pkl"), "--onnx", output);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Stderr);
        Assert.Equal($"Wrote {output}: 784-50-100-10, sigmoid, sigmoid, softmax; input \"input\" (N, 784), output \"probabilities\" (N, 10), opset 13", r.Stdout.Trim());
        // An all-zero image through sample_weight.pkl: the probabilities of a uniform input sum to 1 and the file runs.
        using var session = new InferenceSession(output);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(new float[2 * 784], [2, 784]))]);
        var p = results.Single().AsTensor<float>().ToArray();
        Assert.Equal(20, p.Length);
        Assert.Equal(1.0, p.Take(10).Sum(), 5);
        Assert.Equal(p.Take(10), p.Skip(10));
    }

    [Fact]
    public void ExportsTheBookCnnsByDefaultFromTheDataFolderToo()
    {
        string output = _dir.File("deep.onnx");
        var r = CliRunner.Run(_dir.Path, "export", "--weights", TestData.Weights("deep_convnet_params.pkl"), "--onnx", output);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("deep-cnn 1x28x28", r.Stdout);
        Assert.Contains("input \"input\" (N, 1, 28, 28)", r.Stdout);

        // Without --weights: the book's sample_weight.pkl from the data folder, as eval and predict.
        string fallback = _dir.File("default.onnx");
        var d = CliRunner.Run(_dir.Path, "export", "--data", TestData.Dir, "--onnx", fallback);
        Assert.Equal(0, d.ExitCode);
        Assert.Contains("784-50-100-10", d.Stdout);
        Assert.True(File.Exists(fallback));
    }

    [Fact]
    public void MissingOnnxOptionIsAUsageMistake()
    {
        var r = CliRunner.Run(_dir.Path, "export", "--weights", TestData.Weights("sample_weight.pkl"));
        Assert.Equal(2, r.ExitCode);
        Assert.Single(r.StderrLines);
        Assert.Contains("--onnx", r.Stderr);
    }

    [Fact]
    public void MissingWeightsFileExits3WithOneLine()
    {
        var r = CliRunner.Run(_dir.Path, "export", "--weights", "nope.pkl", "--onnx", _dir.File("x.onnx"));
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("deepscratch: error: --weights: file not found: nope.pkl", Assert.Single(r.StderrLines));
        Assert.False(File.Exists(_dir.File("x.onnx")));
    }

    [Fact]
    public void MalformedWeightsFileExits3AndLeavesAnExistingOutputAlone()
    {
        string bad = _dir.Write("bad.pkl", "not a pickle"u8.ToArray());
        string output = _dir.Write("keep.onnx", [1, 2, 3]);
        var r = CliRunner.Run(_dir.Path, "export", "--weights", bad, "--onnx", output);
        Assert.Equal(3, r.ExitCode);
        Assert.Single(r.StderrLines);
        Assert.StartsWith("deepscratch: error:", r.Stderr);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(output));
    }

    [Fact]
    public void OutputThatIsTheWeightsFileIsRefused()
    {
        string weights = _dir.Write("w.pkl", File.ReadAllBytes(TestData.Weights("sample_weight.pkl")));
        var r = CliRunner.Run(_dir.Path, "export", "--weights", weights, "--onnx", weights);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("is the same file as --weights", Assert.Single(r.StderrLines));
        Assert.Equal(File.ReadAllBytes(TestData.Weights("sample_weight.pkl")), File.ReadAllBytes(weights));
    }

    [Fact]
    public void OutputInAMissingFolderExits3()
    {
        var r = CliRunner.Run(_dir.Path, "export", "--weights", TestData.Weights("sample_weight.pkl"), "--onnx", _dir.File("no", "such", "x.onnx"));
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("--onnx", Assert.Single(r.StderrLines));
    }

    /// <summary>The ONNX project's own checker (Debian's python3-onnx), with shape inference, accepts every export.</summary>
    [PythonOnnxFact]
    public void OnnxCheckerAcceptsTheBookNetworksExports()
    {
        var files = new List<string>();
        foreach (string name in new[] { "sample_weight", "params", "deep_convnet_params" })
        {
            string output = _dir.File(name + ".onnx");
            Assert.Equal(0, CliRunner.Run(_dir.Path, "export", "--weights", TestData.Weights(name + ".pkl"), "--onnx", output).ExitCode);
            files.Add(output);
        }

        var start = new ProcessStartInfo(PythonOnnxFactAttribute.Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(
            "import sys, onnx\n" +
            "for f in sys.argv[1:]:\n" +
            "    m = onnx.load(f)\n" +
            "    onnx.checker.check_model(m, full_check=True)\n" +
            "    print(m.opset_import[0].version, m.graph.input[0].name, m.graph.output[0].name, m.graph.input[0].type.tensor_type.shape.dim[0].dim_param)\n");
        files.ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stderr);
        Assert.Equal(["13 input probabilities N", "13 input probabilities N", "13 input probabilities N"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}

/// <summary>Runs only where /usr/bin/python3 can import onnx (Debian: python3-onnx), except in CI (.ci/run installs it), where it runs and fails.</summary>
public sealed class PythonOnnxFactAttribute : FactAttribute
{
    /// <summary>The interpreter with Debian's onnx package.</summary>
    public const string Python = DeepScratch.Tests.Serialization.PythonNumpyFactAttribute.Python;

    /// <summary>Skips the test when python3-onnx is missing outside CI.</summary>
    public PythonOnnxFactAttribute()
    {
        if (!DeepScratch.Tests.Serialization.PythonNumpyFactAttribute.HasModule("onnx") && !TestData.InCi)
        {
            Skip = $"{Python} with onnx is not installed (apt-get install -y python3-onnx).";
        }
    }
}
