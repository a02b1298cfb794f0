using System.Diagnostics;
using DeepScratch.Data;
using DeepScratch.Functions;
using DeepScratch.Kernels;
using DeepScratch.Layers;
using DeepScratch.Serialization;
using DeepScratch.Tensors;

namespace DeepScratch.Bench;

/// <summary>
/// The <c>conv</c> part: each of DeepConvNet's six convolutions (its real filters, batch 100) as today's layer
/// (im2col + GEMM, NCHW), as the GEMM alone on a ready im2col matrix (what an implicit-im2col engine can at best reach),
/// and as <see cref="WinogradConvolution"/> (NHWC, bias + ReLU fused); GFLOPS count the direct convolution's
/// 2·N·outH·outW·FN·C·9. Then the whole network over the 10,000 test images with the Winograd convolutions, against
/// the library's layer-by-layer forward: time, accuracy and image-by-image class agreement.
/// </summary>
internal static class ConvolutionBench
{
    private static readonly (int Pad, bool PoolAfter)[] Layers = [(1, false), (1, true), (1, false), (2, true), (1, false), (1, true)];

    public static void Run(string data)
    {
        var arrays = NumpyPickle.LoadTensors(Path.Combine(data, "weights", "deep_convnet_params.pkl"));
        const int n = 100;
        var random = new Random(1);
        // The machine is shared: the FMA peak measured now says how much of it this run had.
        Console.WriteLine($"FMA peak now, Vector512 on {Environment.ProcessorCount} threads: {Peak.Measure(Environment.ProcessorCount, wide: true).Gflops:0} GFLOPS");
        Console.WriteLine($"DeepConvNet convolutions, batch {n}, real filters; GFLOPS of the direct convolution's FLOP count");
        Console.WriteLine("| layer | C->FN, HxW, pad | today's layer (im2col + GEMM) ms (GFLOPS) | GEMM alone on ready im2col ms (GFLOPS) | Winograd F(2x2,3x3) NHWC ms (GFLOPS) | vs layer | vs GEMM alone | F(4x4,3x3) ms (GFLOPS) | F(4x4) + the 2x2 pool fused ms |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        int h = 28, c = 1;
        double totalGemm = 0, totalWinograd = 0, totalLayer = 0;
        for (int l = 0; l < Layers.Length; l++)
        {
            var w = arrays[$"W{l + 1}"];
            var b = arrays[$"b{l + 1}"];
            int fn = w.Dim(0), pad = Layers[l].Pad, outH = h + 2 * pad - 2;
            double flops = 2.0 * n * outH * outH * fn * c * 9;
            var x = new float[n * c * h * h];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = (float)random.NextDouble();
            }

            var layer = new Convolution(new Parameter("W", w), new Parameter("b", b), 1, pad);
            var nchw = new Tensor(x, n, c, h, h);
            var layerTime = Harness.Measure(() => layer.Forward(nchw, false), warmup: 2, runs: 10);

            var col = ImageColumns.Im2Col(nchw, 3, 3, 1, pad);
            var product = new float[col.Dim(0) * fn];
            var weights = w.ToArray();
            var gemmTime = Harness.Measure(() => Gemm.Multiply(Transpose.No, Transpose.Yes, col.Dim(0), fn, c * 9, 1f, col.Span, c * 9, weights, c * 9, 0f, product, fn), warmup: 2, runs: 20);

            var conv = WinogradConvolution.TryCreate(weights, b.ToArray(), fn, c, pad, relu: true)!;
            var y = new float[n * outH * outH * fn];
            var workspace = new float[conv.WorkspaceLength(n, h, h)];
            var winogradTime = Harness.Measure(() => conv.Forward(x, n, h, h, y, workspace), warmup: 3, runs: 20);
            var conv4 = WinogradConvolution.TryCreate(weights, b.ToArray(), fn, c, pad, relu: true, tileSize: 4)!;
            var workspace4 = new float[conv4.WorkspaceLength(n, h, h)];
            var time4 = Harness.Measure(() => conv4.Forward(x, n, h, h, y, workspace4), warmup: 3, runs: 20);
            string pooled = "";
            if (Layers[l].PoolAfter)
            {
                var convPool = WinogradConvolution.TryCreate(weights, b.ToArray(), fn, c, pad, relu: true, tileSize: 4, pool: true)!;
                var workspacePool = new float[convPool.WorkspaceLength(n, h, h)];
                pooled = $"{Harness.Measure(() => convPool.Forward(x, n, h, h, y, workspacePool), warmup: 3, runs: 20).BestMs:0.00}";
            }

            totalLayer += layerTime.BestMs;
            totalGemm += gemmTime.BestMs;
            totalWinograd += winogradTime.BestMs;
            Console.WriteLine($"| conv{l + 1} | {c}->{fn}, {h}x{h}, pad {pad} | {Cell(layerTime, flops)} | {Cell(gemmTime, flops)} | {Cell(winogradTime, flops)} | {layerTime.BestMs / winogradTime.BestMs:0.00}x | {gemmTime.BestMs / winogradTime.BestMs:0.00}x | {Cell(time4, flops)} | {pooled} |");
            h = Layers[l].PoolAfter ? outH / 2 : outH;
            c = fn;
        }

        Console.WriteLine($"| all six | | {totalLayer:0.00} | {totalGemm:0.00} | {totalWinograd:0.00} | {totalLayer / totalWinograd:0.00}x | {totalGemm / totalWinograd:0.00}x |");
        Console.WriteLine();
        SingleChannel(data, arrays);
        WholeNetwork(data, arrays);
    }

    /// <summary>
    /// The one-channel first layers, batch 100: SimpleConvNet's conv (30 filters 5x5, pad 0) with ReLU and 2x2 pooling,
    /// and DeepConvNet's conv1 (16 filters 3x3, pad 1) with ReLU: explicit im2col + Gemm.Multiply (+ the bias, ReLU
    /// and pooling passes for the former), the GEMM alone, and <see cref="SingleChannelConvolution"/> with all fused.
    /// </summary>
    private static void SingleChannel(string data, IReadOnlyDictionary<string, Tensor> deep)
    {
        var simple = NumpyPickle.LoadTensors(Path.Combine(data, "weights", "params.pkl"));
        const int n = 100;
        var random = new Random(2);
        var x = new float[n * 28 * 28];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextDouble();
        }

        var nchw = new Tensor(x, n, 1, 28, 28);
        Console.WriteLine($"One-channel first layers, batch {n}; GFLOPS of the convolution's FLOP count");
        Console.WriteLine("| layer | im2col + GEMM (+ bias, ReLU, pool) ms (GFLOPS) | GEMM alone on ready im2col ms (GFLOPS) | direct, fused ms (GFLOPS) | vs im2col + GEMM | vs GEMM alone |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, w, b, pad, pool) in new[]
        {
            ("SimpleConvNet conv 1->30 5x5 pad 0 + ReLU + pool", simple["W1"], simple["b1"], 0, true),
            ("DeepConvNet conv1 1->16 3x3 pad 1 + ReLU", deep["W1"], deep["b1"], 1, false),
        })
        {
            int fn = w.Dim(0), f = w.Dim(2), convH = 28 + 2 * pad - f + 1;
            double flops = 2.0 * n * convH * convH * fn * f * f;
            var weights = w.ToArray();
            var bias = b.ToArray();
            var product = new float[n * convH * convH * fn];
            var pooled = new float[n * convH / 2 * convH / 2 * fn];
            var pooling = new Pooling(2, 2, 2);
            var col = ImageColumns.Im2Col(nchw, f, f, 1, pad);
            var explicitTime = Harness.Measure(() =>
            {
                var c = ImageColumns.Im2Col(nchw, f, f, 1, pad);
                Gemm.Multiply(Transpose.No, Transpose.Yes, c.Dim(0), fn, f * f, 1f, c.Span, f * f, weights, f * f, 0f, product, fn);
                for (int r = 0; r < c.Dim(0); r++)
                {
                    var row = product.AsSpan(r * fn, fn);
                    System.Numerics.Tensors.TensorPrimitives.Add(row, bias, row);
                    System.Numerics.Tensors.TensorPrimitives.Max(row, 0f, row);
                }

                if (pool)
                {
                    Pool(product, pooled, n, convH, fn);
                }
            }, warmup: 2, runs: 20);
            var gemmTime = Harness.Measure(() => Gemm.Multiply(Transpose.No, Transpose.Yes, col.Dim(0), fn, f * f, 1f, col.Span, f * f, weights, f * f, 0f, product, fn), warmup: 2, runs: 20);
            var direct = SingleChannelConvolution.TryCreate(weights, bias, fn, f, pad, relu: true, pool)!;
            var y = new float[n * direct.OutputSize(28) * direct.OutputSize(28) * fn];
            var workspace = new float[direct.WorkspaceLength(n, 28, 28)];
            var directTime = Harness.Measure(() => direct.Forward(x, n, 28, 28, y, workspace), warmup: 3, runs: 30);
            Console.WriteLine($"| {name} | {Cell(explicitTime, flops)} | {Cell(gemmTime, flops)} | {Cell(directTime, flops)} | {explicitTime.BestMs / directTime.BestMs:0.00}x | {gemmTime.BestMs / directTime.BestMs:0.00}x |");
        }

        Console.WriteLine();
    }

    private static string Cell(Harness.Timing t, double flops) => $"{t.BestMs:0.000} ({flops / (t.BestMs * 1e6):0})";

    /// <summary>
    /// DeepConvNet over the 10,000 test images, batch 100: conv1 by the direct one-channel kernel, conv2-6 by Winograd, 2x2 max pooling
    /// and the two affine layers in plain NHWC loops here, against the library's layers (Convolution, Relu, Pooling,
    /// Affine, the book's test-time dropout scaling) image by image.
    /// </summary>
    private static void WholeNetwork(string data, IReadOnlyDictionary<string, Tensor> arrays)
    {
        var set = Mnist.LoadSet(DatasetSplit.Test, new DataStore(data, null));
        var images = set.ImageTensor(); // (10000, 784) in [0, 1]
        int count = set.Count;
        const int n = 100;

        // Reference: the library's layer-by-layer forward, NCHW.
        var reference = new int[count];
        var referenceLayers = new List<ILayer>();
        for (int l = 0; l < Layers.Length; l++)
        {
            referenceLayers.Add(new Convolution(new Parameter($"W{l + 1}", arrays[$"W{l + 1}"]), new Parameter($"b{l + 1}", arrays[$"b{l + 1}"]), 1, Layers[l].Pad));
            referenceLayers.Add(new Relu());
            if (Layers[l].PoolAfter)
            {
                referenceLayers.Add(new Pooling(2, 2, 2));
            }
        }

        var fc1 = new Affine(new Parameter("W7", arrays["W7"]), new Parameter("b7", arrays["b7"]));
        var fc2 = new Affine(new Parameter("W8", arrays["W8"]), new Parameter("b8", arrays["b8"]));
        var watch = Stopwatch.StartNew();
        for (int start = 0; start < count; start += n)
        {
            var x = new Tensor(images.Span.Slice(start * 784, n * 784).ToArray(), n, 1, 28, 28);
            foreach (var layer in referenceLayers)
            {
                x = layer.Forward(x, false);
            }

            var hidden = Activations.Relu(fc1.Forward(x.Reshape(n, 1024), false));
            System.Numerics.Tensors.TensorPrimitives.Multiply(hidden.Span, 0.5f, hidden.Span);
            var logits = fc2.Forward(hidden, false);
            for (int i = 0; i < n; i++)
            {
                reference[start + i] = ArgMax(logits.Span.Slice(i * 10, 10));
            }
        }

        double referenceSeconds = watch.Elapsed.TotalSeconds;

        // Winograd path, NHWC, buffers made once.
        var first = SingleChannelConvolution.TryCreate(arrays["W1"].ToArray(), arrays["b1"].ToArray(), 16, 3, 1, relu: true, pool: false)!;
        var convs = new WinogradConvolution[Layers.Length];
        int[] sizes = new int[Layers.Length];
        int h = 28, c = 1, maxFloats = n * 28 * 28 * 16, maxWorkspace = 0;
        for (int l = 0; l < Layers.Length; l++)
        {
            var w = arrays[$"W{l + 1}"];
            convs[l] = WinogradConvolution.TryCreate(w.ToArray(), arrays[$"b{l + 1}"].ToArray(), w.Dim(0), c, Layers[l].Pad, relu: true)!;
            sizes[l] = h;
            maxWorkspace = Math.Max(maxWorkspace, Math.Max(convs[l].WorkspaceLength(n, h, h), first.WorkspaceLength(n, 28, 28)));
            int outH = convs[l].OutputSize(h);
            maxFloats = Math.Max(maxFloats, n * outH * outH * w.Dim(0));
            h = Layers[l].PoolAfter ? outH / 2 : outH;
            c = w.Dim(0);
        }

        // fc1's rows are in (C, H, W) order (the book flattens NCHW); the NHWC features need them in (H, W, C) order.
        var w7 = arrays["W7"].ToArray();
        var w7Nhwc = new float[w7.Length];
        for (int ch = 0; ch < 64; ch++)
        {
            for (int p = 0; p < 16; p++)
            {
                Array.Copy(w7, (ch * 16 + p) * 50, w7Nhwc, (p * 64 + ch) * 50, 50);
            }
        }

        var b7 = arrays["b7"].ToArray();
        var w8 = arrays["W8"].ToArray();
        var b8 = arrays["b8"].ToArray();
        var bufferA = new float[maxFloats];
        var bufferB = new float[maxFloats];
        var workspace = new float[maxWorkspace];
        var hiddenBuffer = new float[n * 50];
        var logitBuffer = new float[n * 10];
        var ours = new int[count];
        double convSeconds = 0, oursSeconds = double.MaxValue;
        for (int pass = 0; pass < 3; pass++)
        {
            double passConv = 0;
            var total = Stopwatch.StartNew();
            for (int start = 0; start < count; start += n)
            {
                images.Span.Slice(start * 784, n * 784).CopyTo(bufferA);
                float[] x = bufferA, y = bufferB;
                long convStart = Stopwatch.GetTimestamp();
                for (int l = 0; l < Layers.Length; l++)
                {
                    int size = sizes[l], outH = convs[l].OutputSize(size);
                    if (l == 0)
                    {
                        first.Forward(x, n, size, size, y, workspace);
                    }
                    else
                    {
                        convs[l].Forward(x, n, size, size, y, workspace);
                    }

                    (x, y) = (y, x);
                    if (Layers[l].PoolAfter)
                    {
                        Pool(x, y, n, outH, convs[l].FilterCount);
                        (x, y) = (y, x);
                    }
                }

                passConv += Stopwatch.GetElapsedTime(convStart).TotalSeconds;
                Gemm.Multiply(Transpose.No, Transpose.No, n, 50, 1024, 1f, x.AsSpan(0, n * 1024), 1024, w7Nhwc, 50, 0f, hiddenBuffer, 50);
                for (int i = 0; i < hiddenBuffer.Length; i++)
                {
                    hiddenBuffer[i] = MathF.Max(hiddenBuffer[i] + b7[i % 50], 0f) * 0.5f;
                }

                Gemm.Multiply(Transpose.No, Transpose.No, n, 10, 50, 1f, hiddenBuffer, 50, w8, 10, 0f, logitBuffer, 10);
                for (int i = 0; i < n; i++)
                {
                    for (int j = 0; j < 10; j++)
                    {
                        logitBuffer[i * 10 + j] += b8[j];
                    }

                    ours[start + i] = ArgMax(logitBuffer.AsSpan(i * 10, 10));
                }
            }

            if (total.Elapsed.TotalSeconds < oursSeconds)
            {
                (oursSeconds, convSeconds) = (total.Elapsed.TotalSeconds, passConv);
            }
        }

        int correct = 0, referenceCorrect = 0, differ = 0;
        for (int i = 0; i < count; i++)
        {
            correct += ours[i] == set.Labels[i] ? 1 : 0;
            referenceCorrect += reference[i] == set.Labels[i] ? 1 : 0;
            differ += ours[i] != reference[i] ? 1 : 0;
        }

        Console.WriteLine($"DeepConvNet, 10,000 test images, batch {n} (library layers: one pass; kernels: best of 3):");
        Console.WriteLine($"  library layers (NCHW, im2col + GEMM):  {referenceSeconds:0.000} s, accuracy {referenceCorrect / (double)count:0.0000} ({referenceCorrect} / {count})");
        Console.WriteLine($"  conv1 direct, conv2-6 Winograd (NHWC) + loops: {oursSeconds:0.000} s (convolutions + pooling {convSeconds:0.000} s), accuracy {correct / (double)count:0.0000} ({correct} / {count})");
        Console.WriteLine($"  images whose predicted class differs: {differ}");
    }

    private static void Pool(float[] x, float[] y, int n, int h, int c)
    {
        int o = h / 2;
        for (int i = 0; i < n; i++)
        {
            for (int oy = 0; oy < o; oy++)
            {
                for (int ox = 0; ox < o; ox++)
                {
                    var dst = y.AsSpan(((i * o + oy) * o + ox) * c, c);
                    var a = x.AsSpan(((i * h + 2 * oy) * h + 2 * ox) * c, 2 * c);
                    var b = x.AsSpan(((i * h + 2 * oy + 1) * h + 2 * ox) * c, 2 * c);
                    System.Numerics.Tensors.TensorPrimitives.Max(a[..c], a[c..], dst);
                    System.Numerics.Tensors.TensorPrimitives.Max(dst, b[..c], dst);
                    System.Numerics.Tensors.TensorPrimitives.Max(dst, b[c..], dst);
                }
            }
        }
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int j = 1; j < values.Length; j++)
        {
            if (values[j] > values[best])
            {
                best = j;
            }
        }

        return best;
    }
}
