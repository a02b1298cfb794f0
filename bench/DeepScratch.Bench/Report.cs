using System.Diagnostics;
using DeepScratch.Data;
using DeepScratch.Kernels;
using DeepScratch.Models;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;

namespace DeepScratch.Bench;

/// <summary>Runs each workload here and, where installed, in numpy and PyTorch, and prints one table row per figure.</summary>
internal sealed class Report(string data)
{
    private const string Python = "/usr/bin/python3";
    private static readonly string Script = Path.Combine(FindRoot(), "bench", "reference", "bench_python.py");
    private double _peak1;
    private double _peak2;

    public void Peak()
    {
        if (_peak2 > 0)
        {
            return;
        }

        _peak1 = DeepScratch.Bench.Peak.Measure(1, wide: false);
        _peak2 = DeepScratch.Bench.Peak.Measure(Environment.ProcessorCount, wide: false);
        Console.WriteLine($"FMA peak, Vector256: {_peak1:0.0} GFLOPS on 1 core, {_peak2:0.0} GFLOPS on {Environment.ProcessorCount}");
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            double wide1 = DeepScratch.Bench.Peak.Measure(1, wide: true);
            double wide2 = DeepScratch.Bench.Peak.Measure(Environment.ProcessorCount, wide: true);
            Console.WriteLine($"FMA peak, Vector512: {wide1:0.0} GFLOPS on 1 core, {wide2:0.0} GFLOPS on {Environment.ProcessorCount}");
            _peak2 = Math.Max(_peak2, wide2);
        }

        Console.WriteLine($"'% of FMA peak' below is of {_peak2:0.0} GFLOPS, the widest FMA this machine runs on all its cores.");
        Console.WriteLine($"Kernels: {Kernels.Gemm.KernelName}");
        string? info = RunPython("info");
        if (info is not null)
        {
            Console.WriteLine($"Python: {info} (OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset for the runs)");
        }

        Console.WriteLine();
    }

    public void Gemm()
    {
        Console.WriteLine("| GEMM (m x k x n), 2 threads | DeepScratch ms | GFLOPS | % of FMA peak | numpy ms | torch ms | vs numpy |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (m, k, n) in new[] { (10000, 784, 50), (2048, 2048, 2048), (100, 784, 50), (1, 784, 50), (10000, 50, 100), (512, 512, 512) })
        {
            var rng = new Random(1);
            var a = Enumerable.Range(0, m * k).Select(_ => (float)rng.NextDouble()).ToArray();
            var b = Enumerable.Range(0, k * n).Select(_ => (float)rng.NextDouble()).ToArray();
            var c = new float[m * n];
            var t = Harness.Measure(() => Kernels.Gemm.Multiply(Transpose.No, Transpose.No, m, n, k, 1f, a, k, b, n, 0f, c, n),
                runs: (long)m * n * k > 1e9 ? 10 : 30);
            double gflops = 2.0 * m * n * k / (t.BestMs * 1e6);
            var np = Parse(RunPython("gemm", "numpy", m.ToString(), k.ToString(), n.ToString()));
            var torch = Parse(RunPython("gemm", "torch", m.ToString(), k.ToString(), n.ToString()));
            Console.WriteLine($"| {m} x {k} x {n} | {t.BestMs:0.000} | {gflops:0.0} | {100 * gflops / _peak2:0}% | {Fmt(np)} | {Fmt(torch)} | {Ratio(np, t.BestMs)} |");
        }

        Console.WriteLine();
    }

    public void Mlp()
    {
        var network = ThreeLayerNet.Load(Path.Combine(data, "weights", "sample_weight.pkl"));
        var set = Mnist.LoadSet(DatasetSplit.Test, new DataStore(data, null));
        const double flops = 2.0 * 10000 * (784 * 50 + 50 * 100 + 100 * 10);
        Console.WriteLine("| MLP over 10,000 test images | DeepScratch ms | GFLOPS | % of FMA peak | numpy ms | torch ms | vs numpy | vs torch |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (int batch in new[] { 1, 100, 10000 })
        {
            var predictor = network.CreatePredictor(batch);
            var probabilities = new float[10000 * 10];
            var pixels = set.Images.Pixels;
            var t = Harness.Measure(() =>
            {
                for (int start = 0; start < 10000; start += batch)
                {
                    int count = Math.Min(batch, 10000 - start);
                    predictor.PredictPixels(pixels.AsSpan(start * 784, count * 784), count, probabilities.AsSpan(start * 10, count * 10));
                }
            }, runs: batch == 1 ? 10 : 30);
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            predictor.PredictPixels(pixels.AsSpan(0, Math.Min(batch, 10000) * 784), batch, probabilities);
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            double gflops = flops / (t.BestMs * 1e6);
            var np = Parse(RunPython("mlp", "numpy", data, batch.ToString()));
            var torch = batch == 1 ? null : Parse(RunPython("mlp", "torch", data, batch.ToString()));
            Console.WriteLine($"| batch {batch} (one batch allocates {allocated} B) | {t.BestMs:0.00} | {gflops:0.0} | {100 * gflops / _peak2:0}% | {Fmt(np)} | {Fmt(torch)} | {Ratio(np, t.BestMs)} | {Ratio(torch, t.BestMs)} |");
        }

        Console.WriteLine();
    }

    /// <summary>One training epoch (600 iterations of batch 100 on Fashion-MNIST) of the issue's two networks.</summary>
    public void Train()
    {
        var store = new DataStore(data, null);
        var (x, t) = Mnist.Load(DatasetSplit.Train, store: store, kind: DatasetKind.FashionMnist);
        var small = (x.Rows(0, 100), t.Rows(0, 100));
        Console.WriteLine("| one training epoch, Fashion-MNIST, 600 x batch 100 | DeepScratch ms | torch ms | vs torch |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (string kind in new[] { "two-layer", "multi-layer" })
        {
            double best = double.MaxValue;
            for (int run = 0; run < 4; run++)
            {
                INetwork network = kind == "two-layer"
                    ? new TwoLayerNet(784, 50, 10, 0.01, run)
                    : new MultiLayerNetExtend(784, [100, 100, 100, 100], 10, "relu", "he", useBatchnorm: true, seed: run);
                IOptimizer optimizer = kind == "two-layer" ? new Sgd(0.1) : new Adam(0.001);
                var history = new Trainer(network, optimizer, new TrainerOptions(100, 1, Seed: run)).Fit(x, t, small.Item1, small.Item2);
                if (run > 0)
                {
                    best = Math.Min(best, history.EpochTimes[0].TotalMilliseconds); // run 0 warms the JIT
                }
            }

            var torch = Parse(RunPython(Path.Combine(FindRoot(), "bench", "reference", "bench_train_torch.py"), kind, Catalog.FashionSystemFolder));
            Console.WriteLine($"| {(kind == "two-layer" ? "TwoLayerNet 784-50-10, SGD" : "MultiLayerNetExtend 784-100x4-10, BatchNorm, Adam")} | {best:0.0} | {Fmt(torch)} | {Ratio(torch, best)} |");
        }

        Console.WriteLine();
    }

    public void Process()
    {
        string cli = Path.Combine(FindRoot(), "artifacts", "deepscratch", "deepscratch");
        if (!File.Exists(cli))
        {
            Console.WriteLine($"Whole process: {cli} is missing; publish it first (see README).");
            return;
        }

        var ours = TimeProcess(cli, ["eval", "--data", data]);
        var python = TimeProcess(Python, [Path.Combine(FindRoot(), "bench", "reference", "book_eval.py"), data, "/dev/null"]);
        Console.WriteLine("| whole process | wall ms (best of 10) | peak RSS MiB |");
        Console.WriteLine("| --- | ---: | ---: |");
        Console.WriteLine($"| deepscratch eval (Native AOT) | {ours.WallMs:0.0} | {ours.RssMiB:0.0} |");
        Console.WriteLine($"| python3 book script (numpy) | {python.WallMs:0.0} | {python.RssMiB:0.0} |");
        Console.WriteLine($"Ratio: deepscratch takes {ours.WallMs / python.WallMs:0.00} of python's wall time, {ours.RssMiB / python.RssMiB:0.00} of its peak memory.");
    }

    private static (double WallMs, double RssMiB) TimeProcess(string program, string[] args)
    {
        double best = double.MaxValue, rss = 0;
        for (int i = 0; i < 11; i++)
        {
            var start = new ProcessStartInfo("/usr/bin/time") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in (string[])["-f", "%e %M", program, .. args])
            {
                start.ArgumentList.Add(a);
            }

            long t0 = Stopwatch.GetTimestamp();
            using var p = System.Diagnostics.Process.Start(start)!;
            p.StandardOutput.ReadToEnd();
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            if (i == 0)
            {
                continue; // warm the page cache
            }

            best = Math.Min(best, ms);
            string last = err.Trim().Split('\n')[^1];
            rss = Math.Max(rss, double.Parse(last.Split(' ')[1]) / 1024);
        }

        return (best, rss);
    }

    private static string? RunPython(params string[] args)
    {
        if (!File.Exists(Python))
        {
            return null;
        }

        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (!args[0].EndsWith(".py", StringComparison.Ordinal))
        {
            start.ArgumentList.Add(Script);
        }

        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        // The machine sets these for old OpenBLAS builds; they slow a current one (see the env notes), so not here.
        start.Environment.Remove("OPENBLAS_CORETYPE");
        start.Environment.Remove("OPENBLAS_L2_SIZE");
        using var p = System.Diagnostics.Process.Start(start)!;
        string output = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? output.Trim() : null;
    }

    private static double? Parse(string? line) => line is null ? null : double.Parse(line.Split(' ')[0]);

    private static string Fmt(double? ms) => ms is double v ? v.ToString("0.00") : "-";

    private static string Ratio(double? theirs, double ours) => theirs is double v ? $"{v / ours:0.0}x" : "-";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DeepScratch.slnx")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
