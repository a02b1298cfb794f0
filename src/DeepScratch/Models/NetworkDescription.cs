using System.Globalization;
using DeepScratch.Layers;

namespace DeepScratch.Models;

/// <summary>
/// A network's layer sequence as one line of text, stored in a model file's metadata under <see cref="MetadataKey"/>
/// so that any network, trained or converted, reloads with no other information, e.g.
/// <c>input=1x28x28; conv 30 5x5 stride 1 pad 0; relu; pool 2x2 stride 2; affine 100; relu; affine 10</c>.
/// Layers: <c>conv FN FHxFW stride S pad P</c>, <c>pool HxW stride S</c> (max; optional <c>pad P</c>),
/// <c>affine M</c>, <c>relu</c>, <c>sigmoid</c>, <c>batchnorm</c>, <c>dropout R</c>; softmax with the
/// cross-entropy loss always ends the network. Parameter names follow the book: W{i}, b{i} for the i-th conv or
/// affine layer; a batchnorm after layer i has gamma{i}, beta{i}, running_mean{i}, running_var{i}.
/// </summary>
public sealed class NetworkDescription
{
    /// <summary>The metadata key of the text.</summary>
    public const string MetadataKey = "layers";

    /// <summary>
    /// The most values one example may have at any layer, the input included: 2^24 floats (64 MiB). A model file's
    /// metadata sets these sizes while its tensors can be tiny (a pool needs no weights), so the loader refuses larger
    /// ones before building anything; the book's largest (chapter 8's 16x28x28) is 12,544, far below.
    /// </summary>
    public const int MaxActivations = 1 << 24;

    /// <summary>Refuses an example shape of more than <see cref="MaxActivations"/> values; used by every walk of layer shapes.</summary>
    /// <param name="shape">One example's shape at <paramref name="where"/>.</param>
    /// <param name="where">The layer's text for the message, e.g. "pool 2x2 stride 2" or "the input".</param>
    /// <exception cref="ArgumentException">The shape holds more than <see cref="MaxActivations"/> values.</exception>
    public static void CheckActivations(IReadOnlyList<int> shape, string where)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long values = shape.Aggregate(1L, (a, d) => a * d);
        if (values > MaxActivations)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{where} gives {values} values per example ({string.Join("x", shape)}), more than the {MaxActivations} (2^24) a layer may hold."));
        }
    }

    private readonly Spec[] _specs;

    private NetworkDescription(int[] inputShape, Spec[] specs)
    {
        InputShape = inputShape;
        _specs = specs;
    }

    /// <summary>One example's shape without the batch axis, e.g. (1, 28, 28) or (784).</summary>
    public IReadOnlyList<int> InputShape { get; }

    /// <summary>Each layer's text, in forward order.</summary>
    public IReadOnlyList<string> Layers => _specs.Select(s => s.ToString()).ToArray();

    /// <summary>The whole description, the form <see cref="Parse"/> reads.</summary>
    public string Text => string.Join("; ", [$"input={NetworkFactory.FormatShape(InputShape)}", .. Layers]);

    /// <inheritdoc/>
    public override string ToString() => Text;

    /// <summary>The description of a built network: a <see cref="LayeredNetwork"/>'s layers, or the chapter 3 network's.</summary>
    /// <exception cref="ArgumentException">The network has a layer the text form cannot say.</exception>
    public static NetworkDescription Of(IClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is ThreeLayerNet three)
        {
            return new NetworkDescription([.. three.InputShape],
                [new(Kind.Affine, three.W1.Dim(1)), new(Kind.Sigmoid), new(Kind.Affine, three.W2.Dim(1)), new(Kind.Sigmoid), new(Kind.Affine, three.W3.Dim(1))]);
        }

        if (model is not LayeredNetwork net)
        {
            throw new ArgumentException($"{model.GetType().Name} has no layer list to describe.", nameof(model));
        }

        var specs = net.Layers.Select(layer => layer switch
        {
            Convolution c => new Spec(Kind.Conv, c.W.Value.Dim(0), c.W.Value.Dim(2), c.W.Value.Dim(3), c.Stride, c.Pad),
            Pooling p => new Spec(Kind.Pool, 0, p.PoolH, p.PoolW, p.Stride, p.Pad),
            Affine a => new Spec(Kind.Affine, a.W.Value.Dim(1)),
            DeepScratch.Layers.Relu => new Spec(Kind.Relu),
            DeepScratch.Layers.Sigmoid => new Spec(Kind.Sigmoid),
            BatchNormalization => new Spec(Kind.BatchNorm),
            Dropout d => new Spec(Kind.Dropout, Ratio: d.Ratio),
            _ => throw new ArgumentException($"A {layer.GetType().Name} layer has no text form in a network description.", nameof(model)),
        }).ToArray();
        return new NetworkDescription([.. net.InputShape], specs);
    }

    /// <summary>Reads <see cref="Text"/>'s form.</summary>
    /// <exception cref="ArgumentException">The text is not a description; the one-line message names the part at fault and what was expected.</exception>
    public static NetworkDescription Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || !parts[0].StartsWith("input=", StringComparison.Ordinal))
        {
            throw Bad(text, "it must start with input=CxHxW (or input=N) and name at least one layer, e.g. \"input=784; affine 10\"");
        }

        int[] input;
        try
        {
            input = NetworkFactory.ParseShape(parts[0]["input=".Length..]);
        }
        catch (ArgumentException)
        {
            throw Bad(parts[0], "the input shape must be positive whole numbers joined by x, e.g. input=1x28x28");
        }

        if (!InferenceEngine.IsInputShape(input))
        {
            throw Bad(parts[0], "the input is one example's features (N) or images (C, H, W), e.g. input=784 or input=1x28x28");
        }

        var specs = parts.Skip(1).Select(ParseLayer).ToArray();
        var description = new NetworkDescription(input, specs);
        description.ParameterShapes();
        return description;
    }

    /// <summary>
    /// Every parameter's and buffer's name and shape, in order, computed from the text alone (nothing is allocated):
    /// a model file's tensors are checked against them before the network is built.
    /// </summary>
    /// <exception cref="ArgumentException">A layer does not fit the shape it receives (a window larger than the padded map, a conv after a flat layer), a layer (or the input) exceeds <see cref="MaxActivations"/> values per example, or a size overflows.</exception>
    public IReadOnlyDictionary<string, int[]> ParameterShapes()
    {
        var shapes = new Dictionary<string, int[]>();
        int[] shape = [.. InputShape];
        int index = 0;
        try
        {
            CheckActivations(shape, "the input");
            foreach (var s in _specs)
            {
                switch (s.Kind)
                {
                    case Kind.Conv or Kind.Pool:
                        if (shape.Length != 3)
                        {
                            throw new ArgumentException($"\"{s}\" needs images (C, H, W) but receives ({string.Join(", ", shape)}).");
                        }

                        int h = SimpleConvNet.ConvOutput(shape[1], s.H, s.Stride, s.Pad);
                        int w = SimpleConvNet.ConvOutput(shape[2], s.W, s.Stride, s.Pad);
                        if (s.Kind == Kind.Conv)
                        {
                            index++;
                            shapes[$"W{index}"] = [s.Units, shape[0], s.H, s.W];
                            shapes[$"b{index}"] = [s.Units];
                            _ = checked(s.Units * shape[0] * s.H * s.W);
                            shape = [s.Units, h, w];
                        }
                        else
                        {
                            shape = [shape[0], h, w];
                        }

                        CheckActivations(shape, $"\"{s}\"");
                        break;
                    case Kind.Affine:
                        index++;
                        int inputs = shape.Aggregate(1, (a, b) => checked(a * b));
                        _ = checked(inputs * s.Units);
                        shapes[$"W{index}"] = [inputs, s.Units];
                        shapes[$"b{index}"] = [s.Units];
                        shape = [s.Units];
                        CheckActivations(shape, $"\"{s}\"");
                        break;
                    case Kind.BatchNorm:
                        if (index == 0 || shapes.ContainsKey($"gamma{index}"))
                        {
                            throw new ArgumentException("each batchnorm must follow its own conv or affine layer (its parameters are named after that layer).");
                        }

                        int features = shape.Aggregate(1, (a, b) => checked(a * b));
                        foreach (string name in new[] { "gamma", "beta", "running_mean", "running_var" })
                        {
                            shapes[$"{name}{index}"] = [features];
                        }

                        break;
                }
            }
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"The network description \"{Text}\" has a layer of more than {int.MaxValue} values.", "text");
        }
        catch (ArgumentException e) when (e.ParamName != "text")
        {
            throw new ArgumentException($"The network description \"{Text}\" does not form a network: {ErrorText.Fragment(e, endsLine: true)}", "text", e);
        }

        if (index == 0 || _specs.Last(s => s.Kind is Kind.Conv or Kind.Affine).Kind != Kind.Affine)
        {
            throw new ArgumentException($"The network description \"{Text}\" must end its weight layers with an affine layer giving the class scores.", "text");
        }

        return shapes;
    }

    /// <summary>
    /// An untrained network of these layers (weights by <paramref name="init"/>, He by default, from a seeded generator;
    /// biases 0, gamma 1, beta 0), ready for <see cref="LayeredNetwork.LoadParameters"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The layers do not form a network (see <see cref="ParameterShapes"/>) or the init is unknown.</exception>
    public SequentialNetwork Build(string init = "he", int seed = 0) => new(this, init, seed);

    /// <summary>The layers and buffers, built in order; used by <see cref="SequentialNetwork"/>.</summary>
    internal (List<ILayer> Layers, Dictionary<string, Tensor> Buffers) CreateLayers(string init, Random random)
    {
        var shapes = ParameterShapes();
        var layers = new List<ILayer>();
        var buffers = new Dictionary<string, Tensor>();
        int index = 0;
        foreach (var s in _specs)
        {
            switch (s.Kind)
            {
                case Kind.Conv or Kind.Affine:
                    index++;
                    var ws = shapes[$"W{index}"];
                    var w = new Parameter($"W{index}", WeightInit.Normal(random, WeightInit.Std(init, SimpleConvNet.FanIn(ws)), ws), weightDecay: true);
                    var b = new Parameter($"b{index}", Tensor.Zeros(shapes[$"b{index}"]));
                    layers.Add(s.Kind == Kind.Conv ? new Convolution(w, b, s.Stride, s.Pad) : new Affine(w, b));
                    break;
                case Kind.Pool:
                    layers.Add(new Pooling(s.H, s.W, s.Stride, s.Pad));
                    break;
                case Kind.Relu:
                    layers.Add(new Relu());
                    break;
                case Kind.Sigmoid:
                    layers.Add(new DeepScratch.Layers.Sigmoid());
                    break;
                case Kind.Dropout:
                    layers.Add(new Dropout(s.Ratio, random));
                    break;
                case Kind.BatchNorm:
                    var ones = Tensor.Zeros(shapes[$"gamma{index}"]);
                    ones.Span.Fill(1f);
                    var bn = new BatchNormalization(new Parameter($"gamma{index}", ones), new Parameter($"beta{index}", Tensor.Zeros(shapes[$"beta{index}"])));
                    buffers[$"running_mean{index}"] = bn.RunningMean;
                    buffers[$"running_var{index}"] = bn.RunningVar;
                    layers.Add(bn);
                    break;
            }
        }

        return (layers, buffers);
    }

    private static Spec ParseLayer(string part)
    {
        var words = part.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int Number(int i, int minimum, string what) =>
            i < words.Length && int.TryParse(words[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= minimum
                ? v
                : throw Bad(part, $"{what} must be a whole number >= {minimum}");
        (int H, int W) Window(int i)
        {
            var hw = i < words.Length ? words[i].Split('x') : [];
            return hw.Length == 2 && int.TryParse(hw[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int h) && h >= 1
                   && int.TryParse(hw[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int w) && w >= 1
                ? (h, w)
                : throw Bad(part, "the window must be HxW, e.g. 5x5");
        }

        int Named(string key, int fallback, int minimum)
        {
            int at = Array.IndexOf(words, key);
            return at < 0 ? fallback : Number(at + 1, minimum, key);
        }

        // After the positional words, only "stride N" and "pad N" pairs, each at most once.
        void Only(int positional)
        {
            for (int i = positional; i < words.Length; i += 2)
            {
                if (words[i] is not ("stride" or "pad") || Array.IndexOf(words, words[i], positional) != i || i + 1 >= words.Length)
                {
                    throw Bad(part, $"\"{words[i]}\" is not part of a {words[0]} layer (after the sizes come stride S and pad P, once each)");
                }
            }
        }

        switch (words[0])
        {
            case "conv":
                var (fh, fw) = Window(2);
                int filters = Number(1, 1, "the filter count");
                Only(3);
                return new Spec(Kind.Conv, filters, fh, fw, Named("stride", 1, 1), Named("pad", 0, 0));
            case "pool":
                var (ph, pw) = Window(1);
                Only(2);
                return new Spec(Kind.Pool, 0, ph, pw, Named("stride", 1, 1), Named("pad", 0, 0));
            case "affine" when words.Length == 2:
                return new Spec(Kind.Affine, Number(1, 1, "the unit count"));
            case "relu" or "sigmoid" or "batchnorm" when words.Length == 1:
                return new Spec(words[0] switch { "relu" => Kind.Relu, "sigmoid" => Kind.Sigmoid, _ => Kind.BatchNorm });
            case "dropout" when words.Length == 2:
                if (!double.TryParse(words[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double ratio) || !(ratio >= 0 && ratio < 1))
                {
                    throw Bad(part, "the dropout ratio must be a number in [0, 1)");
                }

                return new Spec(Kind.Dropout, Ratio: ratio);
            default:
                throw Bad(part, "a layer is conv FN FHxFW stride S pad P, pool HxW stride S, affine M, relu, sigmoid, batchnorm or dropout R");
        }
    }

    private static ArgumentException Bad(string part, string expected) =>
        new($"The network description part \"{Serialization.DisplayText.Escape(part, 80)}\" is not valid: {expected}.", "text");

    private enum Kind
    {
        Conv,
        Pool,
        Affine,
        Relu,
        Sigmoid,
        BatchNorm,
        Dropout,
    }

    private readonly record struct Spec(Kind Kind, int Units = 0, int H = 0, int W = 0, int Stride = 1, int Pad = 0, double Ratio = 0)
    {
        public override string ToString() => Kind switch
        {
            Kind.Conv => string.Create(CultureInfo.InvariantCulture, $"conv {Units} {H}x{W} stride {Stride} pad {Pad}"),
            Kind.Pool => string.Create(CultureInfo.InvariantCulture, $"pool {H}x{W} stride {Stride}") + (Pad > 0 ? string.Create(CultureInfo.InvariantCulture, $" pad {Pad}") : ""),
            Kind.Affine => string.Create(CultureInfo.InvariantCulture, $"affine {Units}"),
            Kind.Dropout => "dropout " + Ratio.ToString("R", CultureInfo.InvariantCulture),
            _ => Kind.ToString().ToLowerInvariant(),
        };
    }
}
