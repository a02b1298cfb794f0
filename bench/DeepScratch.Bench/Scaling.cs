using System.Diagnostics;
using DeepScratch.Data;
using DeepScratch.Models;

namespace DeepScratch.Bench;

/// <summary>
/// The scaling table (issue 12, target 5): MLP, SimpleConvNet and DeepConvNet inference time against batch size
/// (<see cref="Targets.ScalingBatches"/>) and thread count (<see cref="Targets.ScalingThreads"/>). Each thread count
/// runs in a child process of the benchmark started with <c>DOTNET_PROCESSOR_COUNT</c>, which sets
/// <see cref="Environment.ProcessorCount"/> and so the library's worker pool; the child's CPU time over wall time
/// (the rows' cores_used) shows how many cores it really kept busy.
/// </summary>
internal static class Scaling
{
    /// <summary>Images a CNN pass times at batches below this count: the first 1,000 test images, so batch 1 of DeepConvNet stays in seconds.</summary>
    public const int CnnSubset = 1000;

    /// <summary>Children per thread count, run in turn (1, 2, 1, 2): the load of a shared machine changes between them, and each cell keeps its best.</summary>
    public const int Rounds = 2;

    /// <summary>
    /// Runs <see cref="Rounds"/> children per thread count, alternating, prints the table and returns each cell's
    /// best row (none for the cells of a child that failed).
    /// </summary>
    public static List<BenchRow> Run(string data, Action fail)
    {
        var rows = new List<BenchRow>();
        foreach (int threads in Enumerable.Repeat(Targets.ScalingThreads, Rounds).SelectMany(t => t))
        {
            string json = Path.Combine(Path.GetTempPath(), $"deepscratch-scaling-{Environment.ProcessId}-{threads}.json");
            try
            {
                int exit = RunChild(threads, data, json);
                if (exit != 0)
                {
                    Console.Error.WriteLine($"FAILED: the scaling child with {threads} thread(s) exited with {exit}.");
                    fail();
                    continue;
                }

                List<BenchRow> childRows;
                try
                {
                    childRows = BenchRowJson.Read(json);
                }
                catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidDataException)
                {
                    // A child that wrote no rows or broken ones fails the run; the rows measured so far are kept.
                    Console.Error.WriteLine($"FAILED: the scaling child with {threads} thread(s) left no readable rows ({e.Message}).");
                    fail();
                    continue;
                }

                if (childRows.Any(r => r.Threads != threads))
                {
                    // DOTNET_PROCESSOR_COUNT was not honoured: the figures would be labelled with the wrong thread count.
                    Console.Error.WriteLine($"FAILED: the scaling child asked for {threads} thread(s) reports {childRows.First(r => r.Threads != threads).Threads}.");
                    fail();
                    continue;
                }

                rows.AddRange(childRows);
            }
            finally
            {
                File.Delete(json);
            }
        }

        var best = rows.GroupBy(r => (r.Workload, r.Batch, r.Threads)).Select(g => g.MinBy(r => r.BestS)!).ToList();
        Print(best);
        return best;
    }

    /// <summary>The child's side: measures every (network, batch) cell with this process's thread count and writes the rows to <paramref name="json"/>.</summary>
    public static int RunChild(Report report, string? json)
    {
        if (json is null)
        {
            Console.Error.WriteLine($"DeepScratch.Bench: {BenchArgs.ScalingChild} needs --json FILE.");
            return 2;
        }

        var set = Mnist.LoadSet(DatasetSplit.Test, new DataStore(report.Data, null));
        var mlp = ThreeLayerNet.Load(Path.Combine(report.Data, "weights", "sample_weight.pkl"));
        var simple = BookCnnSteps.Simple(report.Data);
        var deep = BookCnnSteps.Deep(report.Data);
        var networks = new (string Workload, Func<int, PixelPredict> Create, double Accuracy, bool Cnn)[]
        {
            (Targets.ScalingWorkloads[0], b => mlp.CreatePredictor(b).PredictPixels, 0.9352, false),
            (Targets.ScalingWorkloads[1], b => simple.CreateSession(b).PredictPixels, 0.9600, true),
            (Targets.ScalingWorkloads[2], b => deep.CreateSession(b).PredictPixels, 0.9797, true),
        };
        var rows = new List<BenchRow>();
        foreach (var network in networks)
        {
            using var inference = new DeepScratchInference(network.Create);
            foreach (int batch in Targets.ScalingBatches)
            {
                int images = network.Cnn ? Math.Max(batch, CnnSubset) : set.Count;
                var subset = images == set.Count ? set : First(set, images);
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                long start = Stopwatch.GetTimestamp();
                var row = report.MeasureInference(network.Workload, inference, subset, batch, images == set.Count ? network.Accuracy : null,
                    runs: network.Cnn ? 3 : 5, warmup: 1, minSeconds: 0.2).Row;
                double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
                double cores = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / wall;
                rows.Add(row with { Images = images == set.Count ? null : images, CoresUsed = cores });
            }
        }

        BenchRowJson.Write(json, rows);
        return report.Failed ? 1 : 0;
    }

    /// <summary>The table: ms per pass and µs per image at 1 and 2 threads, the cores each kept busy, and the 2-thread speed-up.</summary>
    public static void Print(IReadOnlyList<BenchRow> rows)
    {
        Console.WriteLine("| scaling: DeepScratch inference | images timed | 1 thread ms (µs/image, cores used) | 2 threads ms (µs/image, cores used) | 2-thread speed-up |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (string workload in Targets.ScalingWorkloads)
        {
            foreach (int batch in Targets.ScalingBatches)
            {
                var one = rows.FirstOrDefault(r => r.Workload == workload && r.Batch == batch && r.Threads == 1);
                var two = rows.FirstOrDefault(r => r.Workload == workload && r.Batch == batch && r.Threads == 2);
                var any = one ?? two;
                if (any is null)
                {
                    continue;
                }

                int images = any.Images ?? 10_000;
                string speedup = one is not null && two is not null ? $"{one.BestS / two.BestS:0.00}x" : "-";
                Console.WriteLine($"| {workload.Replace("_inference_scaling", "")}, batch {batch} | {images} | {Cell(one, images)} | {Cell(two, images)} | {speedup} |");
            }
        }

        Console.WriteLine($"Each thread count ran in its own process (DOTNET_PROCESSOR_COUNT=1 or 2), {Rounds} in turn, best of them per cell; cores used = CPU time / wall time over that cell's timed passes.");
        Console.WriteLine($"The CNNs at batches below {CnnSubset} time the first {CnnSubset} test images (compare µs/image); every full-set row got the expected accuracy.");
        Console.WriteLine();
    }

    private static string Cell(BenchRow? row, int images) =>
        row is null ? "-" : $"{row.BestS * 1000:0.00} ({row.BestS * 1e6 / images:0.0}, {row.CoresUsed:0.00})";

    private static MnistSet First(MnistSet set, int count)
    {
        var images = set.Images;
        int size = images.ImageSize;
        return new MnistSet(new IdxImages(count, images.Rows, images.Columns, images.Pixels[..(count * size)]), set.Labels[..count]);
    }

    private static int RunChild(int threads, string data, string json)
    {
        // The running benchmark again: its apphost, or `dotnet DeepScratch.Bench.dll` when started through dotnet.
        string host = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(host);
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Scaling).Assembly.Location);
        }

        foreach (string a in (string[])[BenchArgs.ScalingChild, "--data", data, "--json", json])
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["DOTNET_PROCESSOR_COUNT"] = threads.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"could not start {host}");
        child.WaitForExit();
        return child.ExitCode;
    }
}
