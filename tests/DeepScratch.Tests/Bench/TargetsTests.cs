using DeepScratch.Bench;

namespace DeepScratch.Tests.Bench;

/// <summary>
/// The Targets summary: each of issue 12's targets from the rows of the run, the ratio against the right peer
/// (PyTorch: the faster of its thread counts), met or missed against the goal, and left out when a row is missing.
/// Oracle: the ratios worked out by hand from the row times.
/// </summary>
public sealed class TargetsTests
{
    private static BenchRow Row(string workload, string implementation, int threads, int batch, double bestS, double? rss = null, int? images = null) =>
        new(workload, implementation, threads, batch, bestS, bestS * 1.1, null, Images: images, PeakRssMib: rss);

    [Fact]
    public void Each_target_compares_with_its_peer_in_the_issues_order()
    {
        var rows = new List<BenchRow>
        {
            Row("sgemm_2048x2048x2048", "DeepScratch", 2, 2048, 0.080),
            Row("sgemm_2048x2048x2048", "numpy", 2, 2048, 0.084),
            Row("mlp_inference", "DeepScratch", 2, 1, 0.0187),
            Row("mlp_inference", "OnnxRuntime", 2, 1, 0.0519),
            Row("mlp_inference", "DeepScratch", 2, 100, 0.0050),
            Row("mlp_inference", "OnnxRuntime", 2, 100, 0.0070),
            Row("mlp_inference", "numpy", 2, 100, 0.0010), // not the MLP's peer: must not be used
            Row("two_layer_train_epoch", "DeepScratch", 2, 100, 0.100),
            Row("two_layer_train_epoch", "PyTorch", 1, 100, 0.330),
            Row("two_layer_train_epoch", "PyTorch", 2, 100, 0.834),
            Row("process_eval", "DeepScratch", 2, 100, 0.040, rss: 20),
            Row("process_eval", "python3", 1, 100, 0.220, rss: 70),
        };

        var targets = Targets.Evaluate(rows);

        Assert.Equal(
            ["1. MLP inference, batch 1", "1. MLP inference, batch 100", "2. TwoLayerNet epoch", "3. SGEMM 2048³",
             "4. whole-process eval, wall time", "4. whole-process eval, peak memory"],
            targets.Select(t => t.Name));
        Assert.Equal(0.0519 / 0.0187, targets[0].Ratio, 12);
        Assert.True(targets[0].Met); // 2.78x >= 1.5x
        Assert.Equal(1.4, targets[1].Ratio, 12);
        Assert.False(targets[1].Met); // 1.4x < 1.5x
        Assert.Equal(3.3, targets[2].Ratio, 12); // against PyTorch's 1-thread 330 ms, the faster
        Assert.True(targets[2].Met);
        Assert.Contains("PyTorch 1 thread", targets[2].Peer);
        Assert.Equal(1.05, targets[3].Ratio, 12);
        Assert.True(targets[3].Met);
        Assert.Equal(0.040 / 0.220, targets[4].Ratio, 12);
        Assert.True(targets[4].Met); // 0.18 <= 0.2
        Assert.Equal(20.0 / 70, targets[5].Ratio, 12);
        Assert.True(targets[5].Met);
    }

    [Fact]
    public void The_goal_itself_is_met_and_just_past_it_is_missed()
    {
        var at = Targets.Evaluate([Row("sgemm_512x512x512", "DeepScratch", 2, 512, 0.002), Row("sgemm_512x512x512", "numpy", 2, 512, 0.002)]);
        Assert.True(Assert.Single(at).Met);
        var slower = Targets.Evaluate([Row("sgemm_512x512x512", "DeepScratch", 2, 512, 0.00201), Row("sgemm_512x512x512", "numpy", 2, 512, 0.002)]);
        Assert.False(Assert.Single(slower).Met);
        var slowEval = Targets.Evaluate([Row("process_eval", "DeepScratch", 2, 100, 0.045), Row("process_eval", "python3", 1, 100, 0.2)]);
        Assert.Equal(0.225, Assert.Single(slowEval).Ratio, 12);
        Assert.False(slowEval[0].Met); // 0.225 > 0.2; no peak-memory target without the RSS figures
    }

    [Fact]
    public void A_target_without_its_peer_or_with_only_a_subset_row_is_left_out()
    {
        var rows = new List<BenchRow>
        {
            Row("mlp_inference", "DeepScratch", 2, 10000, 0.005), // ONNX Runtime did not run
            Row("multi_layer_extend_train_epoch", "PyTorch", 1, 100, 1.3), // DeepScratch did not run
            Row("mlp_inference", "OnnxRuntime", 2, 1, 0.05),
            Row("mlp_inference", "DeepScratch", 2, 1, 0.01, images: 1000), // a subset: not the target's workload
        };
        Assert.Empty(Targets.Evaluate(rows));
    }

    [Fact]
    public void The_scaling_table_is_met_only_when_every_cell_was_measured()
    {
        var rows = (from w in Targets.ScalingWorkloads
                    from b in Targets.ScalingBatches
                    from t in Targets.ScalingThreads
                    select Row(w, "DeepScratch", t, b, 0.01)).ToList();
        Assert.Equal(30, rows.Count);
        var full = Assert.Single(Targets.Evaluate(rows));
        Assert.True(full.Met);
        Assert.Equal("30 of 30 cells", full.Ours);

        rows.RemoveAt(7);
        var partial = Assert.Single(Targets.Evaluate(rows));
        Assert.False(partial.Met);
        Assert.Equal("29 of 30 cells", partial.Ours);
    }

    [Fact]
    public void The_printed_summary_has_a_line_per_target_with_its_result()
    {
        var targets = Targets.Evaluate(
        [
            Row("mlp_inference", "DeepScratch", 2, 100, 0.005), Row("mlp_inference", "OnnxRuntime", 2, 100, 0.007),
            Row("sgemm_512x512x512", "DeepScratch", 2, 512, 0.001), Row("sgemm_512x512x512", "numpy", 2, 512, 0.0012),
        ]);
        var output = new StringWriter();
        Targets.Print(targets, output);
        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("| 1. MLP inference, batch 100 | 5.00 ms | 7.00 ms, ONNX Runtime (2 threads) | 1.40x ONNX Runtime | ≥ 1.5x | **missed** |", lines);
        Assert.Contains("| 3. SGEMM 512³ | 1.00 ms | 1.20 ms, numpy (OpenBLAS, 2 threads) | 1.20x numpy | ≥ 1.0x | met |", lines);
        Assert.Contains("1 of 2 targets met in this run.", lines);
    }

    [Fact]
    public void A_ratio_that_rounds_to_the_goal_is_printed_with_three_decimals_so_met_and_missed_read_right()
    {
        var output = new StringWriter();
        Targets.Print(Targets.Evaluate([Row("process_eval", "DeepScratch", 2, 100, 0.04008), Row("process_eval", "python3", 1, 100, 0.2)]), output);
        Assert.Contains("| 0.200 of python's wall time | ≤ 0.20 | **missed** |", output.ToString()); // 0.2004
        output = new StringWriter();
        Targets.Print(Targets.Evaluate([Row("mlp_inference", "DeepScratch", 2, 1, 0.01), Row("mlp_inference", "OnnxRuntime", 2, 1, 0.01496)]), output);
        Assert.Contains("| 1.496x ONNX Runtime | ≥ 1.5x | **missed** |", output.ToString());
        output = new StringWriter();
        Targets.Print(Targets.Evaluate([Row("mlp_inference", "DeepScratch", 2, 1, 0.01), Row("mlp_inference", "OnnxRuntime", 2, 1, 0.015)]), output);
        Assert.Contains("| 1.50x ONNX Runtime | ≥ 1.5x | met |", output.ToString());
    }
}
