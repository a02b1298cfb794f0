using DeepScratch.Data;
using DeepScratch.Kernels;
using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Tests.Layers;

namespace DeepScratch.Tests.Models;

/// <summary>
/// The compiled inference engine against the layer-by-layer forward (<see cref="LayeredNetwork.Forward"/> at
/// inference, then softmax): the book's CNNs on all 10,000 test images, MLPs with BatchNorm and Dropout folded,
/// odd convolutions (stride, padding, several input channels, a BatchNorm that cannot fold), zero allocation per
/// batch once warm, and several threads sharing one engine.
/// </summary>
public class InferenceEngineTests(InferenceEngineTests.TestSet data, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<InferenceEngineTests.TestSet>
{
    /// <summary>The MNIST test set, loaded once.</summary>
    public sealed class TestSet
    {
        public TestSet()
        {
            Set = Mnist.LoadSet(DatasetSplit.Test, new DataStore(TestData.Dir, downloader: null));
            X = Set.ImageTensor(normalize: true, flatten: false);
        }

        public MnistSet Set { get; }

        /// <summary>The images (N, 1, 28, 28) divided by 255.</summary>
        public Tensor X { get; }
    }

    private const int Images = 10000;

    /// <summary>The layered reference's probabilities for the images [start, start + count).</summary>
    private float[] Reference(LayeredNetwork net, int start, int count)
    {
        return net.Predict(data.X.Rows(start, count)).Span.ToArray();
    }

    private static int ArgMax(ReadOnlySpan<float> row) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row);

    private void AssertBookCnn(LayeredNetwork net, int expectedCorrect, int batch)
    {
        var session = net.CreatePredictor(batch) ?? throw new InvalidOperationException("no compiled engine");
        var pixels = data.Set.Images.Pixels;
        var labels = data.Set.Labels;
        var engine = new float[batch * 10];
        int correct = 0, disagreements = 0;
        double worst = 0;
        for (int start = 0; start < Images; start += batch)
        {
            int count = Math.Min(batch, Images - start);
            session.PredictPixels(pixels.AsSpan(start * 784, count * 784), count, engine);
            var reference = Reference(net, start, count);
            for (int i = 0; i < count; i++)
            {
                var e = engine.AsSpan(i * 10, 10);
                var r = reference.AsSpan(i * 10, 10);
                for (int j = 0; j < 10; j++)
                {
                    worst = Math.Max(worst, Math.Abs(e[j] - r[j]));
                }

                disagreements += ArgMax(e) == ArgMax(r) ? 0 : 1;
                correct += ArgMax(e) == labels[start + i] ? 1 : 0;
            }
        }

        output.WriteLine($"batch {batch}: {correct} correct, largest probability difference from the layer forward {worst:G3}");
        Assert.Equal(0, disagreements);
        Assert.True(worst <= 1e-5, $"largest probability difference {worst:G3}");
        Assert.Equal(expectedCorrect, correct);
    }

    [Fact]
    public void SimpleConvNet_on_the_engine_gets_9600_and_the_classes_of_the_layer_forward_on_all_10000_images() =>
        AssertBookCnn(BookCnn.Simple(), 9600, 500);

    [Fact]
    public void DeepConvNet_on_the_engine_gets_9797_and_the_classes_of_the_layer_forward_on_all_10000_images() =>
        AssertBookCnn(BookCnn.Deep(), 9797, 1000);

    [Fact]
    public void Evaluate_streams_the_book_cnn_through_the_engine_per_batch_and_per_image()
    {
        var net = BookCnn.Simple();
        using (var reader = MnistReader.Open(TestData.Mnist("t10k-images-idx3-ubyte.gz"), TestData.Mnist("t10k-labels-idx1-ubyte.gz")))
        {
            Assert.Equal(9600, Evaluation.Evaluate(net, reader, 100).Correct);
        }

        using (var reader = MnistReader.Open(TestData.Mnist("t10k-images-idx3-ubyte.gz"), TestData.Mnist("t10k-labels-idx1-ubyte.gz")))
        {
            Assert.Equal(9600, Evaluation.Evaluate(net, reader, 1, perImage: true).Correct);
        }
    }

    /// <summary>Small MLPs trained a few steps (so BatchNorm's running statistics are not trivial): engine = Forward within 1e-5, same classes.</summary>
    [Theory]
    [InlineData("two-layer")]
    [InlineData("multi-sigmoid")]
    [InlineData("extend-bn-dropout")]
    [InlineData("extend-sigmoid-dropout")]
    public void Mlps_with_batchnorm_and_dropout_folded_give_the_layer_forward(string kind)
    {
        LayeredNetwork net = kind switch
        {
            "two-layer" => new TwoLayerNet(20, 13, 5, weightInitStd: 0.5, seed: 1),
            "multi-sigmoid" => new MultiLayerNet(20, [17, 9], 5, "sigmoid", "xavier"),
            "extend-bn-dropout" => new MultiLayerNetExtend(20, [17, 9], 5, useDropout: true, dropoutRatio: 0.3, useBatchnorm: true, seed: 3),
            _ => new MultiLayerNetExtend(20, [11], 5, activation: "sigmoid", weightInit: "xavier", useDropout: true, dropoutRatio: 0.25, useBatchnorm: true, seed: 4),
        };
        var random = new Random(5);
        for (int step = 0; step < 5; step++)
        {
            var xb = GradientCheck.Random([16, 20], random, 2);
            var t = new Tensor(Enumerable.Range(0, 16).Select(i => (float)((i + step) % 5)).ToArray(), 16);
            net.Gradient(xb, t);
            foreach (var p in net.Parameters)
            {
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(p.Grad.Span, -0.1f, p.Value.Span, p.Value.Span);
            }
        }

        var x = GradientCheck.Random([37, 20], random, 2);
        AssertSame(net, x, 37);
    }

    /// <summary>
    /// A net of everything the engine must handle on its own: three input channels (transposed to channels-last),
    /// stride 2 with padding 2 on non-square images, a padded pool whose windows take the padding's zeros, a
    /// BatchNorm over conv outputs that differs per position (not foldable), a ReLU after a pool, a sigmoid after
    /// the BatchNorm, Dropout, and 20 classes (too many for a fused softmax).
    /// </summary>
    [Fact]
    public void An_odd_convolutional_net_gives_the_layer_forward()
    {
        var random = new Random(11);
        Parameter R(string name, params int[] shape) => new(name, GradientCheck.Random(shape, random, 0.5));
        var bn = new BatchNormalization(R("gamma1", 4 * 4 * 3), R("beta1", 4 * 4 * 3));
        GradientCheck.Random([48], random, 1).Span.CopyTo(bn.RunningMean.Span);
        System.Numerics.Tensors.TensorPrimitives.Abs(GradientCheck.AwayFromZero([48], random, 0.5, 2).Span, bn.RunningVar.Span); // variances are positive
        var net = new Net([3, 9, 7],
        [
            new Convolution(R("W1", 6, 3, 3, 2), R("b1", 6), 2, 2), new Relu(),
            new Pooling(3, 2, 2, 1), new Relu(),
            new Convolution(R("W2", 4, 6, 2, 3), R("b2", 4), 1, 1), bn, new Sigmoid(), new Dropout(0.4, random),
            new Affine(R("W3", 48, 20), R("b3", 20)),
        ]);
        // Shapes: (3, 9, 7) -conv-> (6, 6, 5) -pool-> (6, 3, 3) -conv-> (4, 4, 3), 48 features -> 20 classes.
        Assert.Equal(20, net.Classes);
        AssertSame(net, GradientCheck.Random([5, 3, 9, 7], random, 1), 5);
    }

    /// <summary>
    /// Winograd with the 2x2 pool fused on sizes that fit no tile: an 11x9 convolution output pooled to 5x4 (the odd
    /// last row and column dropped), then a 5x4 output without ReLU pooled to 2x2: the same probabilities as the layers.
    /// </summary>
    [Fact]
    public void Winograd_convolutions_with_the_pool_fused_on_odd_sizes_give_the_layer_forward()
    {
        var random = new Random(12);
        Parameter R(string name, params int[] shape) => new(name, GradientCheck.Random(shape, random, 0.5));
        var net = new Net([3, 11, 9],
        [
            new Convolution(R("W1", 5, 3, 3, 3), R("b1", 5), 1, 1), new Relu(), new Pooling(2, 2, 2, 0),
            new Convolution(R("W2", 7, 5, 3, 3), R("b2", 7), 1, 1), new Pooling(2, 2, 2, 0),
            new Affine(R("W3", 28, 4), R("b3", 4)),
        ]);
        // Shapes: (3, 11, 9) -conv-> (5, 11, 9) -pool-> (5, 5, 4) -conv-> (7, 5, 4) -pool-> (7, 2, 2), 28 features.
        if (DeepScratch.Kernels.WinogradConvolution.IsSupported)
        {
            Assert.Equal(["WinogradConvolution4x4+MaxPool", "WinogradConvolution4x4+MaxPool", "Linear"], net.CompileInference()!.StepKernels);
        }

        AssertSame(net, GradientCheck.Random([3, 3, 11, 9], random, 1), 3);
        AssertSame(net, GradientCheck.Random([1, 3, 11, 9], random, 1), 1);
    }

    private static void AssertSame(LayeredNetwork net, Tensor x, int count)
    {
        var expected = net.Predict(x).Span.ToArray();
        var session = net.CreatePredictor(count)!;
        var actual = new float[expected.Length];
        session.Predict(x.Span, count, actual);
        int classes = net.Classes;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5, $"output {i}: engine {actual[i]}, layers {expected[i]}");
        }

        for (int n = 0; n < count; n++)
        {
            Assert.Equal(ArgMax(expected.AsSpan(n * classes, classes)), ArgMax(actual.AsSpan(n * classes, classes)));
        }
    }

    [Fact]
    public void A_warm_session_allocates_nothing_per_batch()
    {
        var session = BookCnn.Simple().CreatePredictor(100)!;
        var pixels = data.Set.Images.Pixels;
        var y = new float[1000];
        session.PredictPixels(pixels.AsSpan(0, 78400), 100, y);
        session.PredictPixels(pixels.AsSpan(78400, 78400), 100, y);
        // Counted in a no-GC region: a collection started by a parallel test would report phantom bytes.
        long allocated = Allocations.OnThisThread(() =>
        {
            for (int b = 2; b < 12; b++)
            {
                session.PredictPixels(pixels.AsSpan(b * 78400, 78400), 100, y);
            }
        });

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Sessions_of_one_engine_on_four_threads_at_once_each_give_the_single_thread_results()
    {
        var engine = BookCnn.Deep().CompileInference()!;
        var pixels = data.Set.Images.Pixels;
        const int batch = 50, batches = 8;
        var expected = new float[batches][];
        var single = engine.CreateSession(batch);
        for (int b = 0; b < batches; b++)
        {
            expected[b] = new float[batch * 10];
            single.PredictPixels(pixels.AsSpan(b * batch * 784, batch * 784), batch, expected[b]);
        }

        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            var session = engine.CreateSession(batch);
            var y = new float[batch * 10];
            for (int round = 0; round < 6; round++)
            {
                int b = (t + round) % batches;
                session.PredictPixels(pixels.AsSpan(b * batch * 784, batch * 784), batch, y);
                if (!y.AsSpan().SequenceEqual(expected[b]))
                {
                    failures.Add($"thread {t} round {round} batch {b}");
                }
            }
        })).ToArray();
        foreach (var t in threads)
        {
            t.Start();
        }

        foreach (var t in threads)
        {
            t.Join();
        }

        Assert.Empty(failures);
    }

    [Fact]
    public void The_engine_keeps_the_weights_it_was_compiled_with()
    {
        var net = new TwoLayerNet(6, 5, 3, weightInitStd: 1, seed: 2);
        var x = GradientCheck.Random([4, 6], new Random(1), 1);
        var session = net.CompileInference()!.CreateSession(4);
        var before = new float[12];
        session.Predict(x.Span, 4, before);
        net.Parameters[0].Value.Span.Fill(0f);
        var after = new float[12];
        session.Predict(x.Span, 4, after);
        Assert.Equal(before, after);
    }

    [Fact]
    public void Compile_names_the_step_that_does_not_fit()
    {
        var e = Assert.Throws<ArgumentException>(() => InferenceEngine.Compile([1, 28, 28],
            [new InferenceStep.Convolution(Tensor.Zeros(4, 1, 3, 3), Tensor.Zeros(4), 1, 0), new InferenceStep.Linear(Tensor.Zeros(100, 10), Tensor.Zeros(10))]));
        Assert.StartsWith("step 2 (Linear): weights (100, 10) and bias (10,) do not fit an input of (4, 26, 26) (2704 values).", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>("maxBatch", () => BookCnn.Simple().CreatePredictor(0));
    }

    private sealed class Net : LayeredNetwork
    {
        public Net(int[] inputShape, IReadOnlyList<ILayer> layers) => SetLayers(inputShape, layers, new SoftmaxWithLoss());
    }
}
