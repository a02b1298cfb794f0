using System.Diagnostics;
using DeepScratch.Data;
using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Tensors;
using DeepScratch.Training;
using DeepScratch.Training.Optimizers;

namespace DeepScratch.Bench;

/// <summary>
/// Part 'trainsteps': where a training iteration's time and allocations go for the book's networks (Fashion-MNIST, batch
/// 100): TwoLayerNet with SGD, MultiLayerNetExtend and the CNNs with Adam (<c>--only mlp|cnn</c> picks a group): each layer's Forward and Backward, the loss layer, the optimizer update, the Trainer's batch gather and
/// its divergence check, timed one by one in the order <see cref="LayeredNetwork.Gradient"/> runs them (median ms per
/// iteration over the measured iterations), plus the bytes allocated per iteration on this thread and in the process.
/// </summary>
internal static class TrainProfile
{
    public static void Run(string data, bool mlp = true, bool cnn = true)
    {
        var (x, t) = Mnist.Load(DatasetSplit.Train, store: new DataStore(data, null), kind: DatasetKind.FashionMnist);
        if (mlp)
        {
            Profile("TwoLayerNet 784-50-10", new TwoLayerNet(784, 50, 10, 0.01, 1), new Sgd(0.1), x, t, warmup: 50, iterations: 600);
            Profile("MultiLayerNetExtend 784-100x4-10 BatchNorm", new MultiLayerNetExtend(784, [100, 100, 100, 100], 10, "relu", "he", useBatchnorm: true, seed: 1),
                new Adam(0.001), x, t, warmup: 50, iterations: 600);
        }

        if (cnn)
        {
            var images = x.Reshape(x.Dim(0), 1, 28, 28);
            Profile(NetworkFactory.SimpleCnn, Create(NetworkFactory.SimpleCnn), new Adam(0.001), images, t, warmup: 10, iterations: 60);
            Profile(NetworkFactory.DeepCnn, Create(NetworkFactory.DeepCnn), new Adam(0.001), images, t, warmup: 3, iterations: 12);
        }
    }

    private static LayeredNetwork Create(string kind) =>
        (LayeredNetwork)NetworkFactory.Create(new Dictionary<string, string> { ["model"] = kind }, seed: 1);

    private static void Profile(string kind, LayeredNetwork network, IOptimizer optimizer, Tensor images, Tensor labels, int warmup, int iterations)
    {
        const int Batch = 100;
        var detector = new DivergenceDetector(10);
        var layers = network.Layers;
        var names = new List<string> { "batch gather (shuffle + copy)" };
        for (int i = 0; i < layers.Count; i++)
        {
            names.Add($"{i + 1,2} {Describe(layers[i])} forward");
        }

        names.Add("loss forward (softmax + cross-entropy)");
        names.Add("loss backward");
        for (int i = layers.Count - 1; i >= 0; i--)
        {
            names.Add($"{i + 1,2} {Describe(layers[i])} {(i == 0 ? "backward (parameters only)" : "backward")}");
        }

        names.Add("weight decay (loss + gradient)");
        names.Add($"optimizer update ({optimizer.GetType().Name})");
        names.Add("divergence check of the parameters");
        var samples = names.Select(_ => new List<double>()).ToArray();
        var totals = new List<double>();
        var threadBytes = new List<long>();
        var processBytes = new List<long>();
        int n = images.Dim(0);
        var order = Enumerable.Range(0, n).ToArray();
        var random = new Random(1);
        var xBatch = Tensor.Zeros([Batch, .. images.Shape[1..]]);
        var tBatch = Tensor.Zeros([Batch, .. labels.Shape[1..]]);
        int cursor = n;
        var times = new double[names.Count];
        for (int iteration = 0; iteration < warmup + iterations; iteration++)
        {
            long thread0 = GC.GetAllocatedBytesForCurrentThread();
            long process0 = GC.GetTotalAllocatedBytes(precise: true);
            long start = Stopwatch.GetTimestamp();
            int k = 0;
            long t0 = Stopwatch.GetTimestamp();
            if (cursor + Batch > n)
            {
                random.Shuffle(order);
                cursor = 0;
            }

            images.TakeRows(order.AsSpan(cursor, Batch), xBatch);
            labels.TakeRows(order.AsSpan(cursor, Batch), tBatch);
            cursor += Batch;
            times[k++] = Lap(ref t0);
            network.SetReuse(true); // as Gradient does: intermediate tensors in the layers' own buffers
            var h = xBatch;
            for (int i = 0; i < layers.Count; i++)
            {
                // By index: a foreach over the list interface would allocate an enumerator, which would count here.
                h = layers[i].Forward(h, train: true);
                times[k++] = Lap(ref t0);
            }

            double loss = network.LastLayer.Forward(h, tBatch);
            times[k++] = Lap(ref t0);
            var dout = network.LastLayer.Backward(1);
            times[k++] = Lap(ref t0);
            for (int i = layers.Count - 1; i >= 1; i--)
            {
                dout = layers[i].Backward(dout);
                times[k++] = Lap(ref t0);
            }

            layers[0].BackwardParameters(dout);
            network.SetReuse(false);
            times[k++] = Lap(ref t0);
            if (network.WeightDecayLambda > 0)
            {
                // The same work as Loss's and Gradient's weight-decay passes (0 for the book's CNN recipes).
                double squares = 0;
                foreach (var p in network.Parameters.Where(p => p.WeightDecay))
                {
                    squares += System.Numerics.Tensors.TensorPrimitives.Dot(p.Value.Span, p.Value.Span);
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(p.Value.Span, (float)network.WeightDecayLambda, p.Grad.Span, p.Grad.Span);
                }

                loss += 0.5 * network.WeightDecayLambda * squares;
            }

            times[k++] = Lap(ref t0);
            optimizer.Update(network.Parameters);
            times[k++] = Lap(ref t0);
            detector.CheckParameters(iteration + 1, network.Parameters);
            times[k++] = Lap(ref t0);
            double total = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            long thread = GC.GetAllocatedBytesForCurrentThread() - thread0;
            long process = GC.GetTotalAllocatedBytes(precise: true) - process0;
            if (!double.IsFinite(loss))
            {
                throw new InvalidOperationException($"{kind}: the loss became {loss} at iteration {iteration}.");
            }

            if (iteration >= warmup)
            {
                for (int i = 0; i < k; i++)
                {
                    samples[i].Add(times[i]);
                }

                totals.Add(total);
                threadBytes.Add(thread);
                processBytes.Add(process);
            }
        }

        Console.WriteLine($"{kind}, batch {Batch}, {optimizer.GetType().Name}: {Median(totals):F2} ms per iteration (median of {iterations}; sum of step medians {samples.Sum(Median):F2} ms)");
        Console.WriteLine($"  allocated per iteration: {Median(threadBytes) / 1024.0:F1} KiB on this thread, {Median(processBytes) / 1024.0:F1} KiB in the process (medians)");
        Console.WriteLine($"  | step | median ms | share |");
        Console.WriteLine($"  | --- | ---: | ---: |");
        double sum = samples.Sum(Median);
        for (int i = 0; i < names.Count; i++)
        {
            double m = Median(samples[i]);
            Console.WriteLine($"  | {names[i]} | {m:F3} | {100 * m / sum:F1}% |");
        }

        AffineDetail(layers.OfType<Affine>().MaxBy(a => a.W.Value.Length)!, Batch);
        Console.WriteLine();
    }

    /// <summary>The largest Affine layer's backward split into dW = xᵀ·dout (with db), and dx = dout·Wᵀ (which repacks W transposed once per Forward); the pack timed element by element and as tiled transpose + plain pack (measured no clear gain, so PackedWeight keeps the first).</summary>
    private static void AffineDetail(Affine affine, int batch)
    {
        ((IReusesBuffers)affine).ReuseBuffers = true; // as inside Gradient
        var x = Tensor.Zeros(batch, affine.W.Value.Dim(0));
        var dout = Tensor.Zeros(batch, affine.W.Value.Dim(1));
        x.Span.Fill(0.5f);
        dout.Span.Fill(0.25f);
        var forward = Harness.Measure(() => affine.Forward(x, train: true), warmup: 3, runs: 20, minSeconds: 0.2);
        var parameters = Harness.Measure(() => affine.BackwardParameters(dout), warmup: 3, runs: 20, minSeconds: 0.2);
        var full = Harness.Measure(() => { affine.Forward(x, train: true); affine.Backward(dout); }, warmup: 3, runs: 20, minSeconds: 0.2);
        ((IReusesBuffers)affine).ReuseBuffers = false;
        int rows = affine.W.Value.Dim(0), columns = affine.W.Value.Dim(1);
        var packed = Kernels.PackedMatrix.Pack(affine.W.Value.Span, columns, Kernels.Transpose.Yes, columns, rows);
        var transposed = new float[rows * columns];
        var pack = Harness.Measure(() => Kernels.PackedMatrix.Pack(affine.W.Value.Span, columns, Kernels.Transpose.Yes, columns, rows, packed.Data), warmup: 3, runs: 20, minSeconds: 0.2);
        var tiled = Harness.Measure(() =>
        {
            MatrixTranspose.Run(affine.W.Value.Span, rows, columns, transposed);
            Kernels.PackedMatrix.Pack(transposed, rows, Kernels.Transpose.No, columns, rows, packed.Data);
        }, warmup: 3, runs: 20, minSeconds: 0.2);
        var dx = Tensor.Zeros(batch, rows);
        var product = Harness.Measure(() => Kernels.Gemm.MultiplyPacked(Kernels.Transpose.No, batch, 1f, dout.Span, columns, packed, 0f, dx.Span, rows), warmup: 3, runs: 20, minSeconds: 0.2);
        Console.WriteLine($"  dx parts (median ms): pack of Wᵀ element by element {pack.MedianMs:F3}, tiled transpose + plain pack {tiled.MedianMs:F3}, product dout·Wᵀ {product.MedianMs:F3}");
        Console.WriteLine($"  Affine {affine.W.Name} {affine.W.Value.ShapeString} alone (median ms): forward {forward.MedianMs:F3}, dW+db {parameters.MedianMs:F3}, " +
            $"dx (with its pack of Wᵀ) ≈ {full.MedianMs - forward.MedianMs - parameters.MedianMs:F3}");
    }

    private static double Lap(ref long t0)
    {
        long now = Stopwatch.GetTimestamp();
        double ms = Stopwatch.GetElapsedTime(t0, now).TotalMilliseconds;
        t0 = now;
        return ms;
    }

    private static string Describe(ILayer layer) => layer switch
    {
        Convolution c => $"Convolution {c.W.Name} {c.W.Value.ShapeString} s{c.Stride} p{c.Pad}",
        Affine a => $"Affine {a.W.Name} {a.W.Value.ShapeString}",
        Pooling p => $"Pooling {p.PoolH}x{p.PoolW} s{p.Stride}",
        Dropout d => $"Dropout {d.Ratio}",
        _ => layer.GetType().Name,
    };

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted[sorted.Count / 2];
    }

    private static double Median(List<long> values) => Median(values.Select(v => (double)v).ToList());
}
