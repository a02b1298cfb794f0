namespace DeepScratch.Bench;

/// <summary>One of issue 12's targets as measured in this run: our figure, the peer's, their ratio and the goal.</summary>
/// <param name="Name">The target, e.g. "MLP inference, batch 100".</param>
/// <param name="Ours">DeepScratch's figure as printed (e.g. "5.30 ms").</param>
/// <param name="Peer">The peer's figure and what it ran (e.g. "7.04 ms, ONNX Runtime 2 threads").</param>
/// <param name="Ratio">The measured ratio, in the direction of <paramref name="Goal"/>.</param>
/// <param name="Goal">The issue's threshold for <paramref name="Ratio"/>.</param>
/// <param name="AtMost">True when the ratio must be at most the goal (time or memory fractions), false when at least.</param>
/// <param name="RatioName">What the ratio is, e.g. "x ONNX Runtime" or "of python's wall time".</param>
internal sealed record Target(string Name, string Ours, string Peer, double Ratio, double Goal, bool AtMost, string RatioName)
{
    /// <summary>Whether this run meets the goal.</summary>
    public bool Met => AtMost ? Ratio <= Goal : Ratio >= Goal;
}

/// <summary>
/// Issue 12's targets, evaluated only from the rows of this run (a target whose rows were not measured is left out):
/// 1. MLP inference at least 1.5x ONNX Runtime at batch 1, 100 and 10000; 2. one TwoLayerNet and one
/// MultiLayerNetExtend epoch at least 3x PyTorch (the faster of its 1- and 2-thread runs); 3. SGEMM 2048³ and 512³ at
/// least numpy's (OpenBLAS) speed; 4. whole-process eval at most 1/5 of the book script's wall time, peak memory no
/// higher; 5. the scaling table complete (3 networks x 5 batch sizes x 1 and 2 threads).
/// </summary>
internal static class Targets
{
    /// <summary>The scaling table's workloads, batch sizes and thread counts (one fact: <see cref="Scaling"/> measures these).</summary>
    public static readonly string[] ScalingWorkloads = ["mlp_inference_scaling", "simple_convnet_inference_scaling", "deep_convnet_inference_scaling"];

    /// <summary>Batch sizes of the scaling table.</summary>
    public static readonly int[] ScalingBatches = [1, 10, 100, 1000, 10000];

    /// <summary>Thread counts of the scaling table.</summary>
    public static readonly int[] ScalingThreads = [1, 2];

    /// <summary>Every target whose rows are in <paramref name="rows"/>, in the issue's order.</summary>
    public static List<Target> Evaluate(IReadOnlyList<BenchRow> rows)
    {
        var targets = new List<Target>();
        foreach (int batch in new[] { 1, 100, 10000 })
        {
            var ours = Best(rows, "mlp_inference", "DeepScratch", batch);
            var ort = Best(rows, "mlp_inference", "OnnxRuntime", batch);
            if (ours is not null && ort is not null)
            {
                targets.Add(new Target($"1. MLP inference, batch {batch}", Ms(ours), $"{Ms(ort)}, ONNX Runtime ({ort.Threads} threads)",
                    ort.BestS / ours.BestS, 1.5, false, "x ONNX Runtime"));
            }
        }

        foreach (var (workload, name) in new[]
        {
            ("two_layer_train_epoch", "2. TwoLayerNet epoch"), ("multi_layer_extend_train_epoch", "2. MultiLayerNetExtend epoch"),
        })
        {
            var ours = Best(rows, workload, "DeepScratch", null);
            var torch = Best(rows, workload, "PyTorch", null);
            if (ours is not null && torch is not null)
            {
                int runs = rows.Count(r => r.Workload == workload && r.Implementation == "PyTorch");
                string which = runs > 1 ? $"the faster of its {runs} thread counts" : "its only run";
                targets.Add(new Target(name, Ms(ours), $"{Ms(torch)}, PyTorch {torch.Threads} thread{(torch.Threads == 1 ? "" : "s")} ({which})",
                    torch.BestS / ours.BestS, 3, false, "x PyTorch"));
            }
        }

        foreach (int size in new[] { 2048, 512 })
        {
            string workload = $"sgemm_{size}x{size}x{size}";
            var ours = Best(rows, workload, "DeepScratch", null);
            var numpy = Best(rows, workload, "numpy", null);
            if (ours is not null && numpy is not null)
            {
                targets.Add(new Target($"3. SGEMM {size}³", Ms(ours), $"{Ms(numpy)}, numpy (OpenBLAS, {numpy.Threads} threads)",
                    numpy.BestS / ours.BestS, 1, false, "x numpy"));
            }
        }

        var eval = Best(rows, "process_eval", "DeepScratch", null);
        var book = Best(rows, "process_eval", "python3", null);
        if (eval is not null && book is not null)
        {
            targets.Add(new Target("4. whole-process eval, wall time", Ms(eval), $"{Ms(book)}, python3 running the book's ch03 batch script",
                eval.BestS / book.BestS, 0.2, true, "of python's wall time"));
            if (eval.PeakRssMib is double ours && book.PeakRssMib is double theirs)
            {
                targets.Add(new Target("4. whole-process eval, peak memory", $"{ours:0.0} MiB", $"{theirs:0.0} MiB, the same python run",
                    ours / theirs, 1, true, "of python's peak RSS"));
            }
        }

        var scaling = rows.Where(r => ScalingWorkloads.Contains(r.Workload)).ToList();
        if (scaling.Count > 0)
        {
            int expected = ScalingWorkloads.Length * ScalingBatches.Length * ScalingThreads.Length;
            int present = ScalingWorkloads.Sum(w => ScalingBatches.Sum(b => ScalingThreads.Count(t =>
                scaling.Any(r => r.Workload == w && r.Batch == b && r.Threads == t))));
            targets.Add(new Target("5. scaling table (batch 1-10000, 1 and 2 threads)", $"{present} of {expected} cells", "-",
                (double)present / expected, 1, false, "of the table measured"));
        }

        return targets;
    }

    /// <summary>Prints <paramref name="targets"/> as a markdown table, then how many were met.</summary>
    public static void Print(IReadOnlyList<Target> targets, TextWriter output)
    {
        output.WriteLine("Targets (issue 12), every figure from this run:");
        output.WriteLine();
        output.WriteLine("| target | DeepScratch | peer in this run | ratio | goal | result |");
        output.WriteLine("| --- | ---: | ---: | ---: | ---: | --- |");
        foreach (var t in targets)
        {
            // "1.33x ONNX Runtime" for speed ratios, "0.19 of python's wall time" for fractions.
            bool times = t.RatioName.StartsWith('x');
            string ratio = times ? $"{Figure(t)}{t.RatioName}" : $"{Figure(t)} {t.RatioName}";
            string goal = (t.AtMost ? "≤ " : "≥ ") + (times ? $"{t.Goal:0.0}x" : $"{t.Goal:0.00}");
            output.WriteLine($"| {t.Name} | {t.Ours} | {t.Peer} | {ratio} | {goal} | {(t.Met ? "met" : "**missed**")} |");
        }

        output.WriteLine();
        output.WriteLine($"{targets.Count(t => t.Met)} of {targets.Count} targets met in this run.");
        output.WriteLine();
    }

    /// <summary>The fastest row of <paramref name="implementation"/> on <paramref name="workload"/> over the whole test set (at <paramref name="batch"/> when given).</summary>
    private static BenchRow? Best(IReadOnlyList<BenchRow> rows, string workload, string implementation, int? batch) =>
        rows.Where(r => r.Workload == workload && r.Implementation == implementation && r.Images is null && (batch is null || r.Batch == batch))
            .MinBy(r => r.BestS);

    /// <summary>The ratio to 2 decimals, or 3 where 2 would print the goal itself for a ratio on either side of it.</summary>
    private static string Figure(Target t) =>
        Math.Round(t.Ratio, 2) == t.Goal && t.Ratio != t.Goal ? t.Ratio.ToString("0.000") : t.Ratio.ToString("0.00");

    private static string Ms(BenchRow row) => $"{row.BestS * 1000:0.00} ms";
}
