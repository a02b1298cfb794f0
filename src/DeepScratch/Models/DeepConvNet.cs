using System.Globalization;
using DeepScratch.Layers;

namespace DeepScratch.Models;

/// <summary>
/// The deep convolutional network of chapter 8 (<c>ch08/deep_convnet.py</c>): [Conv 3x3 pad 1 → Relu] x2 (16 filters)
/// → Pool → Conv 3x3 pad 1 (32) → Relu → Conv 3x3 pad 2 (32) → Relu → Pool → [Conv 3x3 pad 1 → Relu] x2 (64) → Pool
/// → Affine (→ 50) → Relu → Dropout → Affine (→ classes) → Dropout → SoftmaxWithLoss; pools are 2x2 with stride 2.
/// Parameters W1..W6, b1..b6 (filters), W7, b7, W8, b8 as in the book's <c>deep_convnet_params.pkl</c>. He
/// initialisation: each W is √(2 / fan_in)·N(0, 1) with fan_in = C·FH·FW for filters and the inputs for an affine (the
/// book's pre_node_nums); Dropout scales by (1 − ratio) at inference, as the book does.
/// </summary>
public sealed class DeepConvNet : LayeredNetwork
{
    /// <summary>The book's hidden_size (neurons of the first affine layer).</summary>
    public const int Hidden = 50;

    /// <summary>The book's dropout ratio.</summary>
    public const double DefaultDropout = 0.5;

    /// <summary>The pools' window and stride, as the book fixes them.</summary>
    public const int PoolSize = 2;

    /// <summary>The six convolutions (filters, size, stride, pad) of the book's conv_param_1..6.</summary>
    public static IReadOnlyList<(int Filters, int Size, int Stride, int Pad)> Convolutions { get; } = Array.AsReadOnly(
        [(16, 3, 1, 1), (16, 3, 1, 1), (32, 3, 1, 1), (32, 3, 1, 2), (64, 3, 1, 1), (64, 3, 1, 1)]);

    /// <summary>Builds the network with weights drawn from <c>new Random(seed)</c> in the order W1..W8 (biases 0); the same generator then draws the Dropout masks.</summary>
    /// <param name="inputShape">One image (C, H, W); the book's (1, 28, 28) when null.</param>
    /// <param name="classes">Outputs.</param>
    /// <param name="dropoutRatio">The fraction of neurons each Dropout erases in training (the book's 0.5).</param>
    /// <param name="weightDecay">λ of the L2 weight decay on W1..W8; 0 (the book's) for none.</param>
    /// <param name="seed">Seed of the generator: the same seed gives bit-identical weights.</param>
    /// <exception cref="ArgumentException">The input is not (C, H, W) large enough for three pools, classes is below 1 or the ratio is outside [0, 1).</exception>
    public DeepConvNet(IReadOnlyList<int>? inputShape = null, int classes = SimpleConvNet.DefaultClasses, double dropoutRatio = DefaultDropout,
        double weightDecay = 0, int seed = 0)
    {
        int[] input = [.. inputShape ?? SimpleConvNet.DefaultInputShape];
        Dropout.CheckRatio(dropoutRatio);
        var shapes = ParameterShapes(input, classes);
        var random = new Random(seed);
        var weights = new Parameter[9];
        for (int i = 1; i <= 8; i++)
        {
            // Drawn up front in W1..W8 order, as the book's __init__ does, before any Dropout uses the generator.
            var shape = shapes[$"W{i}"];
            weights[i] = new Parameter($"W{i}", WeightInit.Normal(random, WeightInit.Std("he", SimpleConvNet.FanIn(shape)), shape), weightDecay: true);
        }

        Parameter Bias(int i) => new($"b{i}", Tensor.Zeros(shapes[$"b{i}"]));
        var layers = new List<ILayer>();
        for (int i = 1; i <= 6; i++)
        {
            var c = Convolutions[i - 1];
            layers.Add(new Convolution(weights[i], Bias(i), c.Stride, c.Pad));
            layers.Add(new Relu());
            if (i % 2 == 0)
            {
                layers.Add(new Pooling(PoolSize, PoolSize, PoolSize));
            }
        }

        layers.AddRange([
            new Affine(weights[7], Bias(7)), new Relu(), new Dropout(dropoutRatio, random),
            new Affine(weights[8], Bias(8)), new Dropout(dropoutRatio, random)]);
        SetLayers(input, layers, new SoftmaxWithLoss(), weightDecay);
        Architecture = new Dictionary<string, string>
        {
            ["model"] = NetworkFactory.DeepCnn,
            ["input"] = NetworkFactory.FormatShape(input),
            ["output"] = classes.ToString(CultureInfo.InvariantCulture),
            ["dropout"] = dropoutRatio.ToString("R", CultureInfo.InvariantCulture),
            ["init"] = "he",
            ["weight_decay"] = weightDecay.ToString("R", CultureInfo.InvariantCulture),
        }.AsReadOnly();
    }

    /// <summary>
    /// The shapes of W1..W8 and b1..b8 for an input (C, H, W) and a class count, from the numbers alone (nothing is
    /// allocated), so that a model file's tensors can be checked before the network is built.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not (C, H, W) with positive sizes, is too small for the layers, the input or a layer exceeds <see cref="NetworkDescription.MaxActivations"/> values per example, or classes is below 1.</exception>
    public static IReadOnlyDictionary<string, int[]> ParameterShapes(IReadOnlyList<int> inputShape, int classes)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Count != 3 || inputShape.Any(d => d < 1) || classes < 1)
        {
            throw new ArgumentException(
                $"DeepConvNet takes images (C, H, W) with positive sizes and at least one class; got ({string.Join(", ", inputShape)}) and {classes} classes.", nameof(inputShape));
        }

        var shapes = new Dictionary<string, int[]>();
        NetworkDescription.CheckActivations(inputShape, "the input");
        NetworkDescription.CheckActivations([classes], "the output layer");
        int channels = inputShape[0], h = inputShape[1], w = inputShape[2];
        for (int i = 1; i <= 6; i++)
        {
            var c = Convolutions[i - 1];
            shapes[$"W{i}"] = [c.Filters, channels, c.Size, c.Size];
            shapes[$"b{i}"] = [c.Filters];
            channels = c.Filters;
            h = SimpleConvNet.ConvOutput(h, c.Size, c.Stride, c.Pad);
            w = SimpleConvNet.ConvOutput(w, c.Size, c.Stride, c.Pad);
            NetworkDescription.CheckActivations([channels, h, w], $"convolution {i}");
            if (i % 2 == 0)
            {
                h = SimpleConvNet.ConvOutput(h, PoolSize, PoolSize, 0);
                w = SimpleConvNet.ConvOutput(w, PoolSize, PoolSize, 0);
            }
        }

        shapes["W7"] = [checked(channels * h * w), Hidden];
        shapes["b7"] = [Hidden];
        shapes["W8"] = [Hidden, classes];
        shapes["b8"] = [classes];
        return shapes;
    }
}
