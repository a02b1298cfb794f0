using System.Diagnostics;
using DeepScratch.Data;
using DeepScratch.Kernels;
using DeepScratch.Models;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;

namespace DeepScratch.Bench;

/// <summary>
/// Runs each workload here and, where installed, in ONNX Runtime, numpy and PyTorch, prints one table row per figure
/// and keeps every figure as a <see cref="BenchRow"/> for <c>--json</c>.
/// </summary>
internal sealed class Report(string data)
{
    /// <summary>The data folder (mnist/, weights/, onnx/) the workloads read.</summary>
    public string Data => data;

    private const string Python = "/usr/bin/python3";
    private const int TorchThreads = 2; // bench_python.py calls torch.set_num_threads(2); bench_train_torch.py takes --threads

    /// <summary>PyTorch's training runs at each of these thread counts; the faster is the peer (its 2-thread runs are erratic here).</summary>
    private static readonly int[] TorchTrainThreads = [1, 2];
    private static readonly string Script = Path.Combine(FindRoot(), "bench", "reference", "bench_python.py");
    private static readonly string TrainScript = Path.Combine(FindRoot(), "bench", "reference", "bench_train_torch.py");

    /// <summary>
    /// The CNN workloads: the ONNX export, the accuracy every correct implementation gets, the multiply-adds of one
    /// image, and DeepScratch's predictor: the inference engine compiled from the loaded pickles (<see cref="BookCnnSteps"/>).
    /// Multiply-adds: SimpleConvNet conv 24·24·30·25 + affine 4320·100 + 100·10; DeepConvNet conv 784·16·9, 784·16·144,
    /// 196·32·144, 256·32·288 (pad 2), 64·64·288, 64·64·576, affine 1024·50 + 50·10.
    /// </summary>
    private static readonly (string Workload, string Onnx, double Accuracy, double MultiplyAdds, Func<string, IInference>? DeepScratch)[] Cnns =
    [
        ("simple_convnet_inference", "simple_convnet.onnx", 0.9600, 24 * 24 * 30 * 25 + 4320 * 100 + 100 * 10,
            data => new DeepScratchInference(b => BookCnnSteps.Simple(data).CreateSession(b).PredictPixels)),
        ("deep_convnet_inference", "deep_convnet.onnx", 0.9797,
            784 * 16 * 9 + 784 * 16 * 144 + 196 * 32 * 144 + 256 * 32 * 288 + 64 * 64 * 288 + 64 * 64 * 576 + 1024 * 50 + 50 * 10,
            data => new DeepScratchInference(b => BookCnnSteps.Deep(data).CreateSession(b).PredictPixels)),
    ];

    /// <summary>Batch sizes the CNNs are measured at; the table names each implementation's best.</summary>
    private static readonly int[] CnnBatches = [50, 100, 250, 500, 1000, 2000];

    private double _peak1;
    private double _peak2;
    private bool? _torch;

    /// <summary>PyTorch's training figure at each thread count, one entry per kind, printed under the training table.</summary>
    private readonly List<string> _torchRuns = [];

    /// <summary>Every figure measured so far, in the order printed.</summary>
    public List<BenchRow> Rows { get; } = [];

    /// <summary>True when a run's accuracy was not the expected one (a wrong feed or a wrong result).</summary>
    public bool Failed { get; private set; }

    public void Peak()
    {
        if (_peak2 > 0)
        {
            return;
        }

        _peak1 = PeakRow(1, wide: false);
        _peak2 = PeakRow(Environment.ProcessorCount, wide: false);
        Console.WriteLine($"FMA peak, Vector256: {_peak1:0.0} GFLOPS on 1 core, {_peak2:0.0} GFLOPS on {Environment.ProcessorCount}");
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            double wide1 = PeakRow(1, wide: true);
            double wide2 = PeakRow(Environment.ProcessorCount, wide: true);
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

    /// <summary>Measures the FMA peak on <paramref name="threads"/> threads, records its row and returns its GFLOPS.</summary>
    private double PeakRow(int threads, bool wide)
    {
        var (gflops, timing) = DeepScratch.Bench.Peak.Measure(threads, wide);
        Rows.Add(new BenchRow(wide ? "fma_peak_vector512" : "fma_peak_vector256", "DeepScratch", threads, 0,
            timing.BestMs / 1000, timing.MedianMs / 1000, null, Gflops: gflops));
        return gflops;
    }

    public void Gemm()
    {
        Console.WriteLine($"| GEMM (m x k x n) | DeepScratch ms ({Environment.ProcessorCount} threads) | GFLOPS | % of FMA peak | numpy ms (OpenBLAS, {Environment.ProcessorCount} threads) | torch ms ({TorchThreads} threads) | vs numpy |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (m, k, n) in new[] { (10000, 784, 50), (2048, 2048, 2048), (100, 784, 50), (1, 784, 50), (10000, 50, 100), (512, 512, 512) })
        {
            var rng = new Random(1);
            var a = Enumerable.Range(0, m * k).Select(_ => (float)rng.NextDouble()).ToArray();
            var b = Enumerable.Range(0, k * n).Select(_ => (float)rng.NextDouble()).ToArray();
            var c = new float[m * n];
            var t = Harness.Measure(() => Kernels.Gemm.Multiply(Transpose.No, Transpose.No, m, n, k, 1f, a, k, b, n, 0f, c, n),
                runs: (long)m * n * k > 1e9 ? 10 : 30);
            double flops = 2.0 * m * n * k;
            double gflops = flops / (t.BestMs * 1e6);
            string workload = $"sgemm_{m}x{k}x{n}";
            Rows.Add(new BenchRow(workload, "DeepScratch", Environment.ProcessorCount, m, t.BestMs / 1000, t.MedianMs / 1000, null, Gflops: gflops));
            var np = AddPythonRow(workload, "numpy", Environment.ProcessorCount, m, RunPython("gemm", "numpy", m.ToString(), k.ToString(), n.ToString()), flops);
            var torch = AddPythonRow(workload, "PyTorch", TorchThreads, m, RunPython("gemm", "torch", m.ToString(), k.ToString(), n.ToString()), flops);
            Console.WriteLine($"| {m} x {k} x {n} | {t.BestMs:0.000} | {gflops:0.0} | {100 * gflops / _peak2:0}% | {Fmt(np)} | {Fmt(torch)} | {Ratio(np, t.BestMs)} |");
        }

        Console.WriteLine();
    }

    public void Mlp()
    {
        var network = ThreeLayerNet.Load(Path.Combine(data, "weights", "sample_weight.pkl"));
        var set = Mnist.LoadSet(DatasetSplit.Test, new DataStore(data, null));
        const double flops = 2.0 * 10000 * (784 * 50 + 50 * 100 + 100 * 10);
        using var ours = new DeepScratchInference(b => network.CreatePredictor(b).PredictPixels);
        using var ort = OpenOrt("mlp.onnx", 784);
        if (!HasTorch())
        {
            Console.WriteLine("PyTorch MLP rows skipped: python3-torch is not installed (apt-get install -y python3-torch).");
        }

        Console.WriteLine($"| MLP over 10,000 test images | DeepScratch ms ({Environment.ProcessorCount} threads) | GFLOPS | % of FMA peak | ONNX Runtime ms ({OrtInference.IntraOpThreads} threads, ORT_ENABLE_ALL) | numpy ms (batch 1: the book's loop) | torch ms ({TorchThreads} threads) | vs ONNX Runtime | vs numpy | vs torch |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (int batch in new[] { 1, 100, 10000 })
        {
            int runs = batch == 1 ? 10 : 30;
            var (row, allocated) = MeasureInference("mlp_inference", ours, set, batch, 0.9352, runs);
            double? onnx = ort is null ? null : MeasureInference("mlp_inference", ort, set, batch, 0.9352, runs).Row.BestS * 1000;
            double gflops = flops / (row.BestS * 1e9);
            var np = AddPythonRow("mlp_inference", "numpy", Environment.ProcessorCount, batch, RunPython("mlp", "numpy", data, batch.ToString()));
            var torch = batch == 1 ? null : AddPythonRow("mlp_inference", "PyTorch", TorchThreads, batch, RunPython("mlp", "torch", data, batch.ToString()));
            double ms = row.BestS * 1000;
            Console.WriteLine($"| batch {batch} (a pass allocates {allocated} B) | {ms:0.00} | {gflops:0.0} | {100 * gflops / _peak2:0}% | {Fmt(onnx)} | {Fmt(np)} | {Fmt(torch)} | {Ratio(onnx, ms)} | {Ratio(np, ms)} | {Ratio(torch, ms)} |");
        }

        Console.WriteLine();
    }

    /// <summary>
    /// SimpleConvNet and DeepConvNet over the 10,000 test images at each of <see cref="CnnBatches"/>: one column per
    /// implementation, then each one's best batch and, when DeepScratch runs them, its ratio to ONNX Runtime's best.
    /// </summary>
    public void Cnn()
    {
        var set = Mnist.LoadSet(DatasetSplit.Test, new DataStore(data, null));
        foreach (var cnn in Cnns)
        {
            var implementations = new List<IInference>();
            if (cnn.DeepScratch is { } create)
            {
                implementations.Add(create(data));
            }
            else
            {
                Console.WriteLine($"{cnn.Workload}: DeepScratch row skipped (the network is not in the library yet).");
            }

            if (OpenOrt(cnn.Onnx, 1, 28, 28) is { } ort)
            {
                implementations.Add(ort);
            }

            if (implementations.Count == 0)
            {
                continue;
            }

            double flops = 2.0 * set.Count * cnn.MultiplyAdds;
            Console.WriteLine($"| {cnn.Workload}, 10,000 test images ({flops / 1e9:0.0} GFLOP) | {string.Join(" | ", implementations.Select(i => $"{i.Implementation} ms (GFLOPS)"))} |");
            Console.WriteLine($"| --- |{string.Concat(implementations.Select(_ => " ---: |"))}");
            var best = new BenchRow?[implementations.Count];
            foreach (int batch in CnnBatches)
            {
                var cells = new List<string>();
                for (int i = 0; i < implementations.Count; i++)
                {
                    // A DeepConvNet pass takes about a second: fewer repetitions than the MLP's, still a median of 5.
                    var row = MeasureInference(cnn.Workload, implementations[i], set, batch, cnn.Accuracy, runs: 5, warmup: 1, minSeconds: 0).Row;
                    cells.Add($"{row.BestS * 1000:0.0} ({flops / (row.BestS * 1e9):0})");
                    if (best[i] is null || row.BestS < best[i]!.BestS)
                    {
                        best[i] = row;
                    }
                }

                Console.WriteLine($"| batch {batch} | {string.Join(" | ", cells)} |");
            }

            for (int i = 0; i < implementations.Count; i++)
            {
                Console.WriteLine($"{implementations[i].Implementation} best: {best[i]!.BestS * 1000:0.0} ms at batch {best[i]!.Batch} ({flops / (best[i]!.BestS * 1e9):0} GFLOPS, {100 * flops / (best[i]!.BestS * 1e9) / _peak2:0}% of FMA peak)");
            }

            int ours = implementations.FindIndex(i => i.Implementation == "DeepScratch");
            int theirs = implementations.FindIndex(i => i.Implementation == "OnnxRuntime");
            if (ours >= 0 && theirs >= 0)
            {
                Console.WriteLine($"DeepScratch vs ONNX Runtime, each at its best batch: {best[theirs]!.BestS / best[ours]!.BestS:0.00}x");
            }

            foreach (var implementation in implementations)
            {
                implementation.Dispose();
            }

            Console.WriteLine();
        }
    }

    /// <summary>
    /// Training on Fashion-MNIST: one epoch (600 iterations of batch 100) of the two dense networks, 100 SimpleConvNet
    /// iterations and one DeepConvNet epoch (Adam, batch 100), DeepScratch and PyTorch in the same run.
    /// </summary>
    /// <summary>Training epochs beside PyTorch: the fully connected networks (<paramref name="mlp"/>) and the CNNs (<paramref name="cnn"/>, minutes).</summary>
    public void Train(bool mlp = true, bool cnn = true)
    {
        var store = new DataStore(data, null);
        var (x, t) = Mnist.Load(DatasetSplit.Train, store: store, kind: DatasetKind.FashionMnist);
        var small = (x.Rows(0, 100), t.Rows(0, 100));
        Console.WriteLine($"| training, Fashion-MNIST, batch 100 | DeepScratch ms | torch ms (faster of {string.Join(" and ", TorchTrainThreads)} threads) | vs torch |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (string kind in mlp ? new[] { "two-layer", "multi-layer" } : [])
        {
            var times = new List<double>();
            for (int run = 0; run < 4; run++)
            {
                INetwork network = kind == "two-layer"
                    ? new TwoLayerNet(784, 50, 10, 0.01, run)
                    : new MultiLayerNetExtend(784, [100, 100, 100, 100], 10, "relu", "he", useBatchnorm: true, seed: run);
                IOptimizer optimizer = kind == "two-layer" ? new Sgd(0.1) : new Adam(0.001);
                var history = new Trainer(network, optimizer, new TrainerOptions(100, 1, Seed: run)).Fit(x, t, small.Item1, small.Item2);
                if (run > 0)
                {
                    times.Add(history.EpochTimes[0].TotalMilliseconds); // run 0 warms the JIT
                }
            }

            times.Sort();
            string workload = kind == "two-layer" ? "two_layer_train_epoch" : "multi_layer_extend_train_epoch";
            Rows.Add(new BenchRow(workload, "DeepScratch", Environment.ProcessorCount, 100, times[0] / 1000, times[times.Count / 2] / 1000, null));
            var torch = TorchTraining(workload, kind);
            string name = kind == "two-layer" ? "TwoLayerNet 784-50-10, SGD, one epoch" : "MultiLayerNetExtend 784-100x4-10, BatchNorm, Adam, one epoch";
            Console.WriteLine($"| {name} | {times[0]:0.0} | {Fmt(torch)} | {Ratio(torch, times[0])} |");
        }

        // The CNNs train on images (N, 1, 28, 28): the same pixels, viewed with their channel and rows.
        var images = x.Reshape(x.Dim(0), 1, 28, 28);
        var smallImages = (images.Rows(0, 100), t.Rows(0, 100));
        foreach (var (kind, workload, name, iterations, runs) in cnn ? new[]
        {
            (NetworkFactory.SimpleCnn, "simple_convnet_train_100it", "SimpleConvNet, Adam, 100 iterations", (int?)100, 5),
            (NetworkFactory.DeepCnn, "deep_convnet_train_epoch", "DeepConvNet, Adam, Dropout, one epoch", (int?)null, 2),
        } : [])
        {
            var times = new List<double>();
            for (int run = 0; run < runs; run++)
            {
                var network = NetworkFactory.Create(new Dictionary<string, string> { ["model"] = kind }, seed: run);
                // Run 0 warms the JIT with a few iterations; the timed runs are the workload (epoch time: accuracy passes excluded).
                var options = new TrainerOptions(100, 1, run == 0 ? 5 : iterations, Seed: run, EvaluationSample: 100);
                var history = new Trainer(network, new Adam(0.001), options).Fit(images, t, smallImages.Item1, smallImages.Item2);
                if (run > 0)
                {
                    times.Add(history.EpochTimes[0].TotalMilliseconds);
                }
            }

            times.Sort();
            Rows.Add(new BenchRow(workload, "DeepScratch", Environment.ProcessorCount, 100, times[0] / 1000, times[times.Count / 2] / 1000, null));
            var torch = TorchTraining(workload, kind);
            Console.WriteLine($"| {name} | {times[0]:0.0} | {Fmt(torch)} | {Ratio(torch, times[0])} |");
        }

        Console.WriteLine($"PyTorch at each thread count (ms): {string.Join("; ", _torchRuns)}");
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

        // The book's ch03 batch script does its work only (load, predict in batches of 100, print the accuracy): no CSV ("-").
        var ours = TimeProcess("DeepScratch", Environment.ProcessorCount, cli, ["eval", "--data", data]);
        var python = TimeProcess("python3", Environment.ProcessorCount, Python, [Path.Combine(FindRoot(), "bench", "reference", "book_eval.py"), data, "-"]);
        Console.WriteLine("| whole process, MNIST test set, batch 100 | wall ms (best of 10) | median | peak RSS MiB | accuracy |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        if (ours is not null)
        {
            Console.WriteLine($"| deepscratch eval (Native AOT) | {ours.BestS * 1000:0.0} | {ours.MedianS * 1000:0.0} | {ours.PeakRssMib:0.0} | {ours.Accuracy:0.0000} |");
        }

        if (python is not null)
        {
            Console.WriteLine($"| python3 bench/reference/book_eval.py DATA - (the book's neuralnet_mnist_batch.py, numpy) | {python.BestS * 1000:0.0} | {python.MedianS * 1000:0.0} | {python.PeakRssMib:0.0} | {python.Accuracy:0.0000} |");
        }

        if (ours is not null && python is not null)
        {
            Console.WriteLine($"Ratio: deepscratch takes {ours.BestS / python.BestS:0.000} of python's wall time, {ours.PeakRssMib / python.PeakRssMib:0.000} of its peak memory.");
        }

        Console.WriteLine();
    }

    /// <summary>
    /// Times <paramref name="implementation"/> over the test set at <paramref name="batch"/>, checks the accuracy of
    /// its scores (argmax against the labels) and records the row; also returns the bytes one further pass allocates.
    /// </summary>
    internal (BenchRow Row, long Allocated) MeasureInference(
        string workload, IInference implementation, MnistSet set, int batch, double? expected, int runs, int warmup = 3, double minSeconds = 0.5)
    {
        using var pass = implementation.Prepare(set, batch);
        var scores = new float[set.Count * 10];
        var t = Harness.Measure(() => pass.Run(scores), warmup, runs, minSeconds);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        pass.Run(scores);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        int correct = 0;
        for (int i = 0; i < set.Count; i++)
        {
            var row = scores.AsSpan(i * 10, 10);
            int predicted = 0;
            for (int j = 1; j < 10; j++)
            {
                predicted = row[j] > row[predicted] ? j : predicted;
            }

            correct += predicted == set.Labels[i] ? 1 : 0;
        }

        double accuracy = (double)correct / set.Count;
        if (expected is double e && correct != (int)Math.Round(e * set.Count))
        {
            Console.Error.WriteLine($"WRONG RESULT: {implementation.Implementation} {workload} batch {batch} gets accuracy {accuracy:0.0000}, expected {expected:0.0000} (threads {implementation.Threads})");
            Failed = true;
        }

        var result = new BenchRow(workload, implementation.Implementation, implementation.Threads, batch, t.BestMs / 1000, t.MedianMs / 1000, accuracy);
        Rows.Add(result);
        return (result, allocated);
    }

    /// <summary>ONNX Runtime on <c>DATA/onnx/<paramref name="file"/></c>, or null (saying so) when the export is missing.</summary>
    private OrtInference? OpenOrt(string file, params long[] imageShape)
    {
        string path = Path.Combine(data, "onnx", file);
        if (!File.Exists(path))
        {
            Console.WriteLine($"ONNX Runtime row skipped: {path} is missing.");
            return null;
        }

        return new OrtInference(path, imageShape);
    }

    /// <summary>
    /// Records a numpy/PyTorch figure ("best_ms median_ms" from the scripts), with its GFLOPS when <paramref name="flops"/>
    /// is given; returns its best ms, or null when it did not run.
    /// </summary>
    private double? AddPythonRow(string workload, string implementation, int threads, int batch, string? output, double? flops = null)
    {
        if (Parse(output) is not { } figure)
        {
            return null;
        }

        Rows.Add(new BenchRow(workload, implementation, threads, batch, figure.Best / 1000, figure.Median / 1000, null,
            Gflops: flops / (figure.Best * 1e6)));
        return figure.Best;
    }

    /// <summary>
    /// PyTorch's epoch of one kind at each of <see cref="TorchTrainThreads"/> (a row each); returns the faster one's best
    /// ms, the peer DeepScratch is compared with, or null (saying why) without PyTorch.
    /// </summary>
    private double? TorchTraining(string workload, string kind)
    {
        if (!HasTorch())
        {
            Console.WriteLine($"PyTorch {kind} row skipped: python3-torch is not installed (apt-get install -y python3-torch).");
            return null;
        }

        double? best = null;
        var runs = new List<string>();
        foreach (int threads in TorchTrainThreads)
        {
            string count = threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var ms = AddPythonRow(workload, "PyTorch", threads, 100, RunPython(TrainScript, kind, Catalog.FashionSystemFolder, "--threads", count));
            runs.Add($"{threads} thread{(threads == 1 ? "" : "s")} {Fmt(ms)}");
            best = ms is double v && (best is null || v < best) ? v : best;
        }

        _torchRuns.Add($"{kind} {string.Join(", ", runs)}");

        return best;
    }

    /// <summary>Records that a run failed (a wrong accuracy, a failed child process): the benchmark exits 1.</summary>
    public void MarkFailed() => Failed = true;

    /// <summary>The scaling table (<see cref="DeepScratch.Bench.Scaling"/>): its rows are added to <see cref="Rows"/>.</summary>
    public void Scaling() => Rows.AddRange(DeepScratch.Bench.Scaling.Run(data, MarkFailed));

    private bool HasTorch() => _torch ??= RunPython("-c", "import torch") is not null;

    /// <summary>
    /// Runs a whole process 11 times (the first warms the page cache) under /usr/bin/time, records a process_eval row
    /// (best and median wall time, the largest peak RSS, the accuracy it printed) and returns it, or null (saying why)
    /// when it fails; a wrong accuracy fails the benchmark.
    /// </summary>
    private BenchRow? TimeProcess(string implementation, int threads, string program, string[] args)
    {
        var samples = new List<double>();
        double rss = 0;
        double? accuracy = null;
        for (int i = 0; i < 11; i++)
        {
            var start = new ProcessStartInfo("/usr/bin/time") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in (string[])["-f", "%e %M", program, .. args])
            {
                start.ArgumentList.Add(a);
            }

            RemoveOldOpenBlasSettings(start);

            long t0 = Stopwatch.GetTimestamp();
            using var p = System.Diagnostics.Process.Start(start)!;
            string output = p.StandardOutput.ReadToEnd();
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            if (p.ExitCode != 0)
            {
                Console.Error.WriteLine($"FAILED: {program} {string.Join(' ', args)} exited with {p.ExitCode}: {err.Trim().Split('\n')[0]}");
                Failed = true;
                return null;
            }

            var match = System.Text.RegularExpressions.Regex.Match(output, @"Accuracy:\s*([0-9.]+)");
            accuracy = match.Success ? double.Parse(match.Groups[1].Value) : null;
            if (i == 0)
            {
                continue; // warm the page cache
            }

            samples.Add(ms);
            string last = err.Trim().Split('\n')[^1];
            rss = Math.Max(rss, double.Parse(last.Split(' ')[1]) / 1024);
        }

        if (accuracy is not 0.9352)
        {
            Console.Error.WriteLine($"WRONG RESULT: {implementation} whole-process eval printed accuracy {accuracy?.ToString("0.0000") ?? "none"}, expected 0.9352");
            Failed = true;
        }

        samples.Sort();
        var row = new BenchRow("process_eval", implementation, threads, 100, samples[0] / 1000, samples[samples.Count / 2] / 1000, accuracy,
            PeakRssMib: rss);
        Rows.Add(row);
        return row;
    }

    private static string? RunPython(params string[] args)
    {
        if (!File.Exists(Python))
        {
            return null;
        }

        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (!args[0].EndsWith(".py", StringComparison.Ordinal) && args[0] != "-c")
        {
            start.ArgumentList.Add(Script);
        }

        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        RemoveOldOpenBlasSettings(start);
        using var p = System.Diagnostics.Process.Start(start)!;
        string output = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? output.Trim() : null;
    }

    /// <summary>The machine sets these for old OpenBLAS builds; they slow a current one (see the env notes), so no python run gets them.</summary>
    private static void RemoveOldOpenBlasSettings(ProcessStartInfo start)
    {
        start.Environment.Remove("OPENBLAS_CORETYPE");
        start.Environment.Remove("OPENBLAS_L2_SIZE");
    }

    private static (double Best, double Median)? Parse(string? line)
    {
        if (string.IsNullOrEmpty(line))
        {
            return null;
        }

        string[] parts = line.Split(' ');
        return (double.Parse(parts[0]), double.Parse(parts[^1]));
    }

    private static string Fmt(double? ms) => ms is double v ? v.ToString(v < 1 ? "0.000" : "0.00") : "-";

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
