using DeepScratch.Kernels;
using DeepScratch.Data;
using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Tensors;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;

namespace DeepScratch.Bench;

/// <summary>
/// The <c>trainconv</c> part: the training Convolution layer of every conv of DeepConvNet and SimpleConvNet at batch
/// 100 (random He-scaled filters, random inputs and output gradients): Forward (train), Backward (dW, db and dx) and
/// BackwardParameters (dW and db alone, the first layer's call), each in ms and GFLOPS of the direct convolution's
/// count (forward 2·N·outH·outW·FN·C·FH·FW; Backward twice that, BackwardParameters once).
/// </summary>
internal static class TrainingConvolutionBench
{
    // (name, C, FN, H, filter, pad): DeepConvNet's six convolutions, then SimpleConvNet's.
    private static readonly (string Name, int C, int FN, int H, int F, int Pad)[] Layers =
    [
        ("deep conv1", 1, 16, 28, 3, 1), ("deep conv2", 16, 16, 28, 3, 1), ("deep conv3", 16, 32, 14, 3, 1),
        ("deep conv4", 32, 32, 14, 3, 2), ("deep conv5", 32, 64, 8, 3, 1), ("deep conv6", 64, 64, 8, 3, 1),
        ("simple conv", 1, 30, 28, 5, 0),
    ];

    public static void Run(string data)
    {
        const int n = 100;
        var random = new Random(1);
        Console.WriteLine($"FMA peak now, Vector512 on {Environment.ProcessorCount} threads: {Peak.Measure(Environment.ProcessorCount, wide: true).Gflops:0} GFLOPS");
        Console.WriteLine($"Training Convolution layer, batch {n}; best ms (GFLOPS of the direct convolution's FLOP count)");
        Console.WriteLine("| layer | C->FN, HxW, FxF, pad | Forward | Backward (dW+dx) | BackwardParameters (dW) |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: |");
        double forward = 0, backward = 0, parameters = 0;
        foreach (var (name, c, fn, h, f, pad) in Layers)
        {
            int outH = h + 2 * pad - f + 1;
            double flops = 2.0 * n * outH * outH * fn * c * f * f;
            var w = Fill(random, Math.Sqrt(2.0 / (c * f * f)), fn, c, f, f);
            var b = Fill(random, 0.1, fn);
            var layer = new Convolution(new Parameter("W", w), new Parameter("b", b), 1, pad);
            var x = Fill(random, 1, n, c, h, h);
            var dout = Fill(random, 0.01, n, fn, outH, outH);
            var tf = Harness.Measure(() => layer.Forward(x, true), warmup: 3, runs: 15);
            var tb = Harness.Measure(() => layer.Backward(dout), warmup: 3, runs: 15);
            var tp = Harness.Measure(() => layer.BackwardParameters(dout), warmup: 3, runs: 15);
            forward += tf.BestMs;
            backward += tb.BestMs;
            if (name is "deep conv1" or "simple conv")
            {
                parameters += tp.BestMs; // first layers: the network calls BackwardParameters
            }
            else
            {
                parameters += tb.BestMs;
            }

            Console.WriteLine($"| {name} | {c}->{fn}, {h}x{h}, {f}x{f}, pad {pad} | {Cell(tf, flops)} | {Cell(tb, 2 * flops)} | {Cell(tp, flops)} |");
        }

        Console.WriteLine($"| sum | | {forward:0.00} | {backward:0.00} | (network's backward calls: {parameters:0.00}) |");
        OneChannel(random, n);
        Networks(data);
    }

    /// <summary>
    /// Whole training iterations on Fashion-MNIST (Adam, batch 100) as the 'train' part runs them, but shorter:
    /// SimpleConvNet 100 iterations and DeepConvNet 60 (a tenth of the epoch), best and median of 3 after a warm-up.
    /// </summary>
    private static void Networks(string data)
    {
        var (x, t) = Mnist.Load(DatasetSplit.Train, store: new DataStore(data, null), kind: DatasetKind.FashionMnist);
        var images = x.Reshape(x.Dim(0), 1, 28, 28);
        var small = (images.Rows(0, 100), t.Rows(0, 100));
        Console.WriteLine("| training iterations, Fashion-MNIST, Adam, batch 100 | best ms | median ms | ms per iteration |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (var (kind, iterations) in new[] { (NetworkFactory.SimpleCnn, 100), (NetworkFactory.DeepCnn, 60) })
        {
            var times = new List<double>();
            for (int run = 0; run < 4; run++)
            {
                var network = NetworkFactory.Create(new Dictionary<string, string> { ["model"] = kind }, seed: run);
                var options = new TrainerOptions(100, 1, run == 0 ? 5 : iterations, Seed: run, EvaluationSample: 100);
                var history = new Trainer(network, new Adam(0.001), options).Fit(images, t, small.Item1, small.Item2);
                if (run > 0)
                {
                    times.Add(history.EpochTimes[0].TotalMilliseconds);
                }
            }

            times.Sort();
            Console.WriteLine($"| {kind}, {iterations} iterations | {times[0]:0.0} | {times[1]:0.0} | {times[0] / iterations:0.00} |");
        }
    }

    /// <summary>
    /// The one-channel layers with each applicable kernel forced (best ms of Forward, and of BackwardParameters,
    /// whose dW is the direct reduction only when Direct is forced or chosen).
    /// </summary>
    private static void OneChannel(Random random, int n)
    {
        Console.WriteLine("| one-channel layer | kernel | Forward | BackwardParameters (dW) |");
        Console.WriteLine("| --- | --- | ---: | ---: |");
        foreach (var (name, c, fn, h, f, pad) in Layers.Where(l => l.C == 1))
        {
            int outH = h + 2 * pad - f + 1;
            var layer = new Convolution(new Parameter("W", Fill(random, 0.3, fn, 1, f, f)), new Parameter("b", Fill(random, 0.1, fn)), 1, pad);
            var x = Fill(random, 1, n, 1, h, h);
            var dout = Fill(random, 0.01, n, fn, outH, outH);
            foreach (var kernel in new ConvolutionKernel?[] { ConvolutionKernel.Columns, ConvolutionKernel.SingleChannel, ConvolutionKernel.Direct, null })
            {
                layer.ForcedKernel = kernel;
                var tf = Harness.Measure(() => layer.Forward(x, true), warmup: 3, runs: 15);
                var tp = Harness.Measure(() => layer.BackwardParameters(dout), warmup: 3, runs: 15);
                Console.WriteLine($"| {name} | {kernel?.ToString() ?? "auto"} ({layer.ForwardKernel}, dW {layer.GradientKernel}) | {tf.BestMs:0.00} | {tp.BestMs:0.00} |");
            }
        }
    }

    private static string Cell(Harness.Timing t, double flops) => $"{t.BestMs:0.00} ({flops / (t.BestMs * 1e6):0})";

    private static Tensor Fill(Random random, double scale, params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        }

        return t;
    }
}
