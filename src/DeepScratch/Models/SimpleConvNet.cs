using System.Globalization;
using DeepScratch.Functions;
using DeepScratch.Layers;

namespace DeepScratch.Models;

/// <summary>
/// The simple convolutional network of chapter 7 (<c>ch07/simple_convnet.py</c>): Conv1 → Relu1 → Pool1 (2x2, stride 2)
/// → Affine1 → Relu2 → Affine2 → SoftmaxWithLoss, with parameters W1, b1 (the filters (FN, C, FH, FW) and their
/// biases), W2, b2, W3, b3, as in the book's <c>params.pkl</c>. Weights start as weight_init_std·N(0, 1), biases at 0.
/// </summary>
public sealed class SimpleConvNet : LayeredNetwork
{
    /// <summary>The book's input_dim: one 28x28 grey image (C, H, W).</summary>
    public static IReadOnlyList<int> DefaultInputShape { get; } = Array.AsReadOnly([1, 28, 28]);

    /// <summary>The book's filter_num.</summary>
    public const int DefaultFilters = 30;

    /// <summary>The book's filter_size (square filters).</summary>
    public const int DefaultFilterSize = 5;

    /// <summary>The book's pad.</summary>
    public const int DefaultPad = 0;

    /// <summary>The book's stride.</summary>
    public const int DefaultStride = 1;

    /// <summary>The book's hidden_size.</summary>
    public const int DefaultHidden = 100;

    /// <summary>The book's output_size.</summary>
    public const int DefaultClasses = 10;

    /// <summary>The book's weight_init_std, as init text (<see cref="WeightInit.Std"/> also takes "he" or "xavier").</summary>
    public const string DefaultInit = "0.01";

    /// <summary>The pooling after the convolution, as the book fixes it: 2x2 windows every 2 pixels.</summary>
    public const int PoolSize = 2;

    /// <summary>
    /// Builds the network with weights drawn from <c>new Random(seed)</c> in the order W1, W2, W3; biases start at 0.
    /// </summary>
    /// <param name="inputShape">One image (C, H, W); the book's (1, 28, 28) when null.</param>
    /// <param name="filters">Filters of the convolution (FN).</param>
    /// <param name="filterSize">Height and width of each filter.</param>
    /// <param name="pad">Zeros added on each side of the images.</param>
    /// <param name="stride">Step of the filters.</param>
    /// <param name="hidden">Neurons of the hidden affine layer.</param>
    /// <param name="classes">Outputs.</param>
    /// <param name="init">The book's weight_init_std ("0.01"), or "he" / "xavier" scaled by each layer's fan-in.</param>
    /// <param name="weightDecay">λ of the L2 weight decay on W1, W2, W3; 0 for none.</param>
    /// <param name="seed">Seed of the weights' generator: the same seed gives bit-identical weights.</param>
    /// <exception cref="ArgumentException">A size is not positive, the filters do not fit the padded image, the pooled map is empty, or the init is unknown.</exception>
    public SimpleConvNet(IReadOnlyList<int>? inputShape = null, int filters = DefaultFilters, int filterSize = DefaultFilterSize,
        int pad = DefaultPad, int stride = DefaultStride, int hidden = DefaultHidden, int classes = DefaultClasses,
        string init = DefaultInit, double weightDecay = 0, int seed = 0)
    {
        int[] input = [.. inputShape ?? DefaultInputShape];
        var shapes = ParameterShapes(input, filters, filterSize, pad, stride, hidden, classes);
        WeightInit.FixedStd(init);
        var random = new Random(seed);
        Parameter Weight(string name) =>
            new(name, WeightInit.Normal(random, WeightInit.Std(init, FanIn(shapes[name])), shapes[name]), weightDecay: true);
        Parameter Bias(string name) => new(name, Tensor.Zeros(shapes[name]));

        var w1 = Weight("W1");
        var w2 = Weight("W2");
        var w3 = Weight("W3");
        ILayer[] layers =
        [
            new Convolution(w1, Bias("b1"), stride, pad),
            new Relu(),
            new Pooling(PoolSize, PoolSize, PoolSize),
            new Affine(w2, Bias("b2")),
            new Relu(),
            new Affine(w3, Bias("b3")),
        ];
        SetLayers(input, layers, new SoftmaxWithLoss(), weightDecay);
        Architecture = new Dictionary<string, string>
        {
            ["model"] = NetworkFactory.SimpleCnn,
            ["input"] = NetworkFactory.FormatShape(input),
            ["filters"] = Text(filters),
            ["filter_size"] = Text(filterSize),
            ["pad"] = Text(pad),
            ["stride"] = Text(stride),
            ["hidden"] = Text(hidden),
            ["output"] = Text(classes),
            ["init"] = init.Trim().ToLowerInvariant(),
            ["weight_decay"] = weightDecay.ToString("R", CultureInfo.InvariantCulture),
        }.AsReadOnly();
    }

    /// <summary>
    /// The shapes of W1, b1, W2, b2, W3, b3 for these settings, computed from the numbers alone (nothing is allocated),
    /// so that a model file's tensors can be checked before the network is built.
    /// </summary>
    /// <exception cref="ArgumentException">A size is not positive, the filters do not fit, the pooled map is empty, a layer would exceed int.MaxValue values, or the input or a layer exceeds <see cref="NetworkDescription.MaxActivations"/> values per example.</exception>
    public static IReadOnlyDictionary<string, int[]> ParameterShapes(IReadOnlyList<int> inputShape, int filters, int filterSize, int pad, int stride, int hidden, int classes)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Count != 3 || inputShape.Any(d => d < 1))
        {
            throw new ArgumentException($"SimpleConvNet takes images (C, H, W) with positive sizes; got ({string.Join(", ", inputShape)}).", nameof(inputShape));
        }

        if (filters < 1 || filterSize < 1 || stride < 1 || pad < 0 || hidden < 1 || classes < 1)
        {
            throw new ArgumentException(
                $"SimpleConvNet needs filters, filter size, stride, hidden and classes >= 1 and pad >= 0; got {filters}, {filterSize}, {stride}, {hidden}, {classes} and pad {pad}.");
        }

        NetworkDescription.CheckActivations(inputShape, "the input");
        int convH = ConvOutput(inputShape[1], filterSize, stride, pad);
        int convW = ConvOutput(inputShape[2], filterSize, stride, pad);
        NetworkDescription.CheckActivations([filters, convH, convW], "the convolution");
        NetworkDescription.CheckActivations([hidden], "the hidden affine layer");
        NetworkDescription.CheckActivations([classes], "the output layer");
        int pooled = checked(filters * ConvOutput(convH, PoolSize, PoolSize, 0) * ConvOutput(convW, PoolSize, PoolSize, 0));
        return new Dictionary<string, int[]>
        {
            ["W1"] = [filters, inputShape[0], filterSize, filterSize],
            ["b1"] = [filters],
            ["W2"] = [pooled, hidden],
            ["b2"] = [hidden],
            ["W3"] = [hidden, classes],
            ["b3"] = [classes],
        };
    }

    /// <summary>The book's output size (H + 2·pad − F) / stride + 1 (<see cref="ImageColumns.OutputSize"/>), refused when the window does not fit.</summary>
    internal static int ConvOutput(int size, int filter, int stride, int pad)
    {
        // Checked first: a pad from a file's metadata must not wrap around in OutputSize's own sum.
        _ = checked(size + 2 * pad);
        return ImageColumns.OutputSize(size, filter, stride, pad);
    }

    /// <summary>Inputs feeding one output: C·FH·FW for filters (FN, C, FH, FW), the rows of an affine (inputs, outputs).</summary>
    internal static int FanIn(int[] weightShape) => weightShape.Length == 4 ? weightShape[1] * weightShape[2] * weightShape[3] : weightShape[0];

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
