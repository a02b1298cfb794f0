using DeepScratch.Data;
using DeepScratch.Layers;
using DeepScratch.Models;
using DeepScratch.Serialization;
using DeepScratch.Serialization.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OrtSession = Microsoft.ML.OnnxRuntime.InferenceSession;

namespace DeepScratch.Tests.Onnx;

/// <summary>
/// Every kind of network DeepScratch loads, exported to ONNX and run in ONNX Runtime (an independent implementation)
/// on the 10,000 MNIST test images: the same predicted class for every image and probabilities within 1e-4.
/// </summary>
public sealed class OnnxRuntimeAgreementTests
{
    private const double Tolerance = 1e-4;

    private static readonly Lazy<MnistSet> TestSet = new(() => Mnist.LoadSet(DatasetSplit.Test, new DataStore(TestData.Dir, downloader: null)));

    [Fact]
    public void SampleWeightMlpMatches() => AssertAgrees(ModelFile.Load(TestData.Weights("sample_weight.pkl")), [784]);

    [Fact]
    public void SimpleConvNetMatches() => AssertAgrees(ModelFile.Load(TestData.Weights("params.pkl")), [1, 28, 28]);

    [Fact]
    public void DeepConvNetMatches() => AssertAgrees(ModelFile.Load(TestData.Weights("deep_convnet_params.pkl")), [1, 28, 28]);

    [Fact]
    public void MultiLayerNetExtendWithBatchNormAndDropoutMatchesAfterSavingAndLoading()
    {
        var net = new MultiLayerNetExtend(784, [100, 50], 10, useBatchnorm: true, useDropout: true, dropoutRatio: 0.3, seed: 7);
        // Training forwards move the running statistics away from (0, 1) and the steps move γ and β from (1, 0), so the
        // folded scale and shift are not trivial.
        var set = TestSet.Value;
        var images = set.ImageTensor(normalize: true, flatten: true);
        var labels = set.LabelTensor(oneHot: true);
        for (int step = 0; step < 30; step++)
        {
            int start = step * 100;
            var x = Rows(images, start, 100);
            var t = Rows(labels, start, 100);
            net.Gradient(x, t);
            foreach (var p in net.Parameters)
            {
                var value = p.Value.Span;
                var grad = p.Grad.Span;
                for (int i = 0; i < value.Length; i++)
                {
                    value[i] -= 0.1f * grad[i];
                }
            }
        }

        var bn = net.Layers.OfType<BatchNormalization>().First();
        Assert.DoesNotContain(bn.RunningVar.ToArray(), v => v == 0);
        Assert.Contains(bn.Gamma.Value.ToArray(), g => MathF.Abs(g - 1) > 1e-3);

        string folder = Path.Combine(Path.GetTempPath(), $"deepscratch-onnx-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            string saved = Path.Combine(folder, "extend.safetensors");
            ModelFile.Save(saved, net);
            var loaded = ModelFile.Load(saved);
            Assert.Contains("batchnorm", loaded.Description);
            AssertAgrees(loaded, [784]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void TwoLayerNetAndSigmoidMultiLayerNetMatchAfterSavingAndLoading()
    {
        // The other networks train writes (chapter 4's TwoLayerNet, chapter 6's MultiLayerNet with sigmoid), each loaded
        // back from its safetensors file as the CLI's export loads it.
        string folder = Path.Combine(Path.GetTempPath(), $"deepscratch-onnx-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            foreach (var (name, net) in new (string, INetwork)[]
            {
                ("two.safetensors", new TwoLayerNet(784, 50, 10, weightInitStd: 0.1, seed: 1)),
                ("multi.safetensors", new MultiLayerNet(784, [60, 40, 30], 10, activation: "sigmoid", weightInit: "xavier", seed: 2)),
            })
            {
                string saved = Path.Combine(folder, name);
                ModelFile.Save(saved, net);
                AssertAgrees(ModelFile.Load(saved), [784]);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void PaddedPoolingCountsPaddingAsZeroAsTheBookDoes()
    {
        // Every value reaching the pooling is below 0 (a sigmoid shifted by β = −1), so the book's 0 padding wins every
        // border window where ONNX MaxPool's own −∞ padding would not: only a zero Pad before MaxPool agrees.
        var net = new PaddedNet();
        var x = Rows(TestSet.Value.ImageTensor(normalize: true, flatten: true), 0, 1).Reshape(1, 1, 28, 28);
        var pooled = net.Layers[3].Forward(net.Layers[2].Forward(net.Layers[1].Forward(net.Layers[0].Forward(x, false), false), false), false);
        Assert.Equal(0f, pooled.ToArray()[0]); // the top-left window holds padding: the book's maximum is 0
        AssertAgrees(net, [1, 28, 28]);
    }

    [Fact]
    public void ModelDeclaresDocumentedNamesAndADynamicBatchAxis()
    {
        using var session = new OrtSession(OnnxExport.ToBytes(ModelFile.Load(TestData.Weights("params.pkl"))));
        var input = Assert.Single(session.InputMetadata);
        Assert.Equal("input", input.Key);
        Assert.Equal([-1, 1, 28, 28], input.Value.Dimensions);
        Assert.Equal("N", input.Value.SymbolicDimensions[0]);
        var output = Assert.Single(session.OutputMetadata);
        Assert.Equal("probabilities", output.Key);
        Assert.Equal([-1, 10], output.Value.Dimensions);
    }

    private static Tensor Rows(Tensor all, int start, int count)
    {
        int width = all.Length / all.Dim(0);
        return new Tensor(all.Span.Slice(start * width, count * width).ToArray(), [count, width]);
    }

    /// <summary>
    /// Runs the model and its ONNX export on all 10,000 test images in batches of uneven sizes (the batch axis is
    /// dynamic) and compares every probability.
    /// </summary>
    private static void AssertAgrees(IClassifier model, int[] exampleShape)
    {
        using var session = new OrtSession(OnnxExport.ToBytes(model));
        var images = TestSet.Value.ImageTensor(normalize: true, flatten: true);
        int n = images.Dim(0);
        Assert.Equal(10_000, n);
        int[] batchSizes = [1, 999, 2000];
        int done = 0, mismatched = 0;
        double worst = 0;
        for (int b = 0; done < n; b++)
        {
            int count = Math.Min(batchSizes[b % batchSizes.Length], n - done);
            var flat = Rows(images, done, count);
            var x = flat.Reshape([count, .. exampleShape]);
            var ours = model.Predict(x).ToArray();
            var onnxInput = new DenseTensor<float>(flat.ToArray(), [count, .. exampleShape]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", onnxInput)]);
            var theirs = results.Single(r => r.Name == "probabilities").AsTensor<float>().ToArray();
            Assert.Equal(count * 10, theirs.Length);
            for (int i = 0; i < count; i++)
            {
                if (ArgMax(ours, i) != ArgMax(theirs, i))
                {
                    mismatched++;
                }

                for (int k = 0; k < 10; k++)
                {
                    worst = Math.Max(worst, Math.Abs(ours[i * 10 + k] - theirs[i * 10 + k]));
                }
            }

            done += count;
        }

        Assert.Equal(0, mismatched);
        Assert.True(worst <= Tolerance, $"largest probability difference {worst:G3} > {Tolerance}");
    }

    private static int ArgMax(float[] rows, int row)
    {
        int best = 0;
        for (int k = 1; k < 10; k++)
        {
            if (rows[row * 10 + k] > rows[row * 10 + best])
            {
                best = k;
            }
        }

        return best;
    }

    /// <summary>
    /// Conv(4, 3x3, pad 1) → Sigmoid → BatchNorm on the 4x28x28 values (γ = 1, β = −1, running mean 0, variance 1) →
    /// Pool 3x3 stride 2 pad 1 → Dropout 0.5 → Affine → Softmax.
    /// </summary>
    private sealed class PaddedNet : LayeredNetwork
    {
        public PaddedNet()
        {
            var random = new Random(3);
            Parameter P(string name, params int[] shape)
            {
                var t = Tensor.Zeros(shape);
                var s = t.Span;
                for (int i = 0; i < s.Length; i++)
                {
                    s[i] = (float)(random.NextDouble() - 0.5);
                }

                return new Parameter(name, t, weightDecay: false);
            }

            Parameter Filled(string name, int length, float value)
            {
                var t = Tensor.Zeros(length);
                t.Span.Fill(value);
                return new Parameter(name, t);
            }

            var bn = new BatchNormalization(Filled("gamma1", 4 * 28 * 28, 1), Filled("beta1", 4 * 28 * 28, -1));
            bn.RunningVar.Span.Fill(1);
            SetLayers([1, 28, 28],
            [
                new Convolution(P("W1", 4, 1, 3, 3), P("b1", 4), 1, 1), new DeepScratch.Layers.Sigmoid(), bn,
                new Pooling(3, 3, 2, 1), new Dropout(0.5, random), new Affine(P("W2", 4 * 14 * 14, 10), P("b2", 10)),
            ], new SoftmaxWithLoss());
        }
    }
}
