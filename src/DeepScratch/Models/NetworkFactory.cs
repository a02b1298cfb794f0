using System.Globalization;
using DeepScratch.Layers;

namespace DeepScratch.Models;

/// <summary>
/// Rebuilds a network from its <see cref="INetwork.Architecture"/>, so that a model file needs only that text and the
/// named tensors: <c>Create(metadata)</c> then <see cref="INetwork.LoadParameters"/>.
/// </summary>
public static class NetworkFactory
{
    /// <summary>The "model" value of <see cref="TwoLayerNet"/>.</summary>
    public const string TwoLayer = "two-layer";

    /// <summary>The "model" value of <see cref="MultiLayerNet"/>.</summary>
    public const string MultiLayer = "multi-layer";

    /// <summary>The "model" value of <see cref="MultiLayerNetExtend"/>.</summary>
    public const string MultiLayerExtend = "multi-layer-extend";

    /// <summary>The "model" value of <see cref="SimpleConvNet"/> (chapter 7).</summary>
    public const string SimpleCnn = "simple-cnn";

    /// <summary>The "model" value of <see cref="DeepConvNet"/> (chapter 8).</summary>
    public const string DeepCnn = "deep-cnn";

    /// <summary>Every "model" value <see cref="Create"/> builds, in the book's order: the one list for option checks and messages.</summary>
    public static IReadOnlyList<string> ModelNames { get; } = Array.AsReadOnly([TwoLayer, MultiLayer, MultiLayerExtend, SimpleCnn, DeepCnn]);

    /// <summary>The hidden activation of the multi-layer nets when the architecture names none.</summary>
    public const string DefaultActivation = "relu";

    /// <summary>
    /// The weight initialisation <paramref name="model"/> gets when the architecture names none: the book's
    /// weight_init_std of 0.01 for TwoLayerNet (chapter 5), "he" for the multi-layer nets (chapter 6's advice for ReLU).
    /// </summary>
    /// <exception cref="ArgumentException">The model is unknown.</exception>
    public static string DefaultInit(string model) => model switch
    {
        TwoLayer => "0.01",
        MultiLayer or MultiLayerExtend => "he",
        SimpleCnn => SimpleConvNet.DefaultInit,
        DeepCnn => "he",
        _ => throw UnknownModel(model),
    };

    /// <summary>
    /// The hidden layer sizes of the training recipes when none are given, as the architecture's "hidden" text: 50 for
    /// TwoLayerNet (the book's chapter 5 run), three layers of 100 for the multi-layer nets.
    /// </summary>
    /// <exception cref="ArgumentException">The model is unknown.</exception>
    public static string DefaultHidden(string model) => model switch
    {
        TwoLayer => "50",
        MultiLayer or MultiLayerExtend => "100,100,100",
        SimpleCnn => SimpleConvNet.DefaultHidden.ToString(CultureInfo.InvariantCulture),
        DeepCnn => DeepConvNet.Hidden.ToString(CultureInfo.InvariantCulture),
        _ => throw UnknownModel(model),
    };

    /// <summary>
    /// An untrained network of the described architecture, its weights drawn with <paramref name="seed"/>. Keys other
    /// than the architecture's are ignored (a model file may carry more metadata); optional keys take the constructors'
    /// defaults. An architecture with no "model" but a <see cref="NetworkDescription.MetadataKey"/> line (a
    /// <see cref="SequentialNetwork"/>'s) builds that network, so every <see cref="INetwork.Architecture"/> rebuilds its network.
    /// </summary>
    /// <exception cref="ArgumentException">The model is unknown, a required key is missing, or a value does not parse; the message names the key.</exception>
    public static INetwork Create(IReadOnlyDictionary<string, string> architecture, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        var a = new Reader(architecture);
        if (a.Optional("model") is null && a.Optional(NetworkDescription.MetadataKey) is { } layers)
        {
            // A network known only by its layers (a SequentialNetwork's Architecture): so that every network's
            // Architecture rebuilds it, whatever built it.
            try
            {
                return NetworkDescription.Parse(layers).Build(seed: seed);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"The architecture's \"{NetworkDescription.MetadataKey}\" does not describe a network: {ErrorText.Fragment(e, endsLine: true)}", nameof(architecture), e);
            }
        }

        string model = a.Required("model");
        try
        {
            return model switch
            {
                TwoLayer => new TwoLayerNet(a.Int("input"), a.Int("hidden"), a.Int("output"), a.Std("init", DefaultInit(TwoLayer)), seed),
                MultiLayer => new MultiLayerNet(
                    a.Int("input"), a.IntList("hidden"), a.Int("output"), a.Optional("activation") ?? DefaultActivation,
                    a.Optional("init") ?? DefaultInit(MultiLayer), a.Double("weight_decay", 0), seed),
                MultiLayerExtend => new MultiLayerNetExtend(
                    a.Int("input"), a.IntList("hidden"), a.Int("output"), a.Optional("activation") ?? DefaultActivation,
                    a.Optional("init") ?? DefaultInit(MultiLayerExtend), a.Double("weight_decay", 0),
                    useDropout: a.Dropout() is not null, dropoutRatio: a.Dropout() ?? 0.5, useBatchnorm: a.Bool("batchnorm", false), seed: seed),
                SimpleCnn => new SimpleConvNet(
                    a.Shape("input", SimpleConvNet.DefaultInputShape), a.Int("filters", SimpleConvNet.DefaultFilters), a.Int("filter_size", SimpleConvNet.DefaultFilterSize),
                    a.Int("pad", SimpleConvNet.DefaultPad, minimum: 0), a.Int("stride", SimpleConvNet.DefaultStride), a.Int("hidden", SimpleConvNet.DefaultHidden),
                    a.Int("output", SimpleConvNet.DefaultClasses), a.Optional("init") ?? DefaultInit(SimpleCnn), a.Double("weight_decay", 0), seed),
                DeepCnn => new DeepConvNet(
                    a.Shape("input", SimpleConvNet.DefaultInputShape), a.Int("output", SimpleConvNet.DefaultClasses),
                    a.Dropout() ?? DeepConvNet.DefaultDropout, a.Double("weight_decay", 0), seed),
                _ => throw UnknownModel(model),
            };
        }
        catch (ArgumentException e) when (e.ParamName != nameof(architecture))
        {
            throw new ArgumentException($"The architecture does not describe a valid {model} network: {ErrorText.Fragment(e, endsLine: true)}", nameof(architecture), e);
        }
    }

    /// <summary>
    /// The sizes of the described network's affine layers, [inputs, units of each hidden layer, classes], read from the
    /// text alone (nothing is allocated): a model file's tensors are checked against them before <see cref="Create"/>
    /// builds anything, so metadata cannot make the loader allocate more than the tensors it holds.
    /// </summary>
    /// <exception cref="ArgumentException">The model is unknown, a required key is missing, or a value does not parse.</exception>
    public static int[] LayerSizes(IReadOnlyDictionary<string, string> architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        var a = new Reader(architecture);
        string model = a.Required("model");
        return model switch
        {
            TwoLayer => [a.Int("input"), a.Int("hidden"), a.Int("output")],
            MultiLayer or MultiLayerExtend => [a.Int("input"), .. a.IntList("hidden"), a.Int("output")],
            _ when TrainableModels.IsConvolutional(model) => throw new ArgumentException($"A {model} network has convolution layers: its sizes are ParameterShapes, not affine layer sizes.", nameof(architecture)),
            _ => throw UnknownModel(model),
        };
    }

    /// <summary>
    /// The shape of every parameter of the described convolutional network, by name, read from the text alone
    /// (nothing is allocated), so a model file's tensors are checked against them before <see cref="Create"/> builds it.
    /// </summary>
    /// <exception cref="ArgumentException">The model is not a convolutional one, a value does not parse, or the sizes do not form a network.</exception>
    public static IReadOnlyDictionary<string, int[]> ConvolutionalShapes(IReadOnlyDictionary<string, string> architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        var a = new Reader(architecture);
        string model = a.Required("model");
        try
        {
            return model switch
            {
                SimpleCnn => SimpleConvNet.ParameterShapes(
                    a.Shape("input", SimpleConvNet.DefaultInputShape), a.Int("filters", SimpleConvNet.DefaultFilters), a.Int("filter_size", SimpleConvNet.DefaultFilterSize),
                    a.Int("pad", SimpleConvNet.DefaultPad, minimum: 0), a.Int("stride", SimpleConvNet.DefaultStride), a.Int("hidden", SimpleConvNet.DefaultHidden),
                    a.Int("output", SimpleConvNet.DefaultClasses)),
                DeepCnn => DeepConvNet.ParameterShapes(a.Shape("input", SimpleConvNet.DefaultInputShape), a.Int("output", SimpleConvNet.DefaultClasses)),
                _ => throw new ArgumentException($"\"{model}\" is not a convolutional network (use \"{SimpleCnn}\" or \"{DeepCnn}\").", nameof(architecture)),
            };
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"The architecture describes a {model} network too large to build.", nameof(architecture));
        }
        catch (ArgumentException e) when (e.ParamName != nameof(architecture))
        {
            throw new ArgumentException($"The architecture does not describe a valid {model} network: {ErrorText.Fragment(e, endsLine: true)}", nameof(architecture), e);
        }
    }

    /// <summary>An image shape (C, H, W) as architecture text, e.g. "1x28x28".</summary>
    public static string FormatShape(IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return string.Join("x", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>Parses <see cref="FormatShape"/>'s text ("1x28x28") back; the one parser of image shapes.</summary>
    /// <exception cref="ArgumentException">An entry is not a positive whole number.</exception>
    public static int[] ParseShape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('x', StringSplitOptions.TrimEntries);
        var result = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out result[i]) || result[i] < 1)
            {
                throw new ArgumentException($"An image shape is positive whole numbers joined by x, like 1x28x28; '{text}' is not one.", nameof(text));
            }
        }

        return result;
    }

    /// <summary>
    /// Hidden layer sizes from text such as "100,100" (an architecture's "hidden", a command line's list); empty or
    /// blank text is no hidden layer. The one parser of the list, so every caller accepts the same text.
    /// </summary>
    /// <exception cref="ArgumentException">An entry is not a positive whole number.</exception>
    public static int[] ParseHidden(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var result = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out result[i]) || result[i] < 1)
            {
                throw new ArgumentException($"Hidden layer sizes must be positive whole numbers separated by commas, like 100,100; '{parts[i]}' is not one.", nameof(text));
            }
        }

        return result;
    }

    private static ArgumentException UnknownModel(string model) => new(
        $"Unknown model \"{model}\" in the architecture: use {string.Join(", ", ModelNames.SkipLast(1).Select(m => $"\"{m}\""))} or \"{ModelNames[^1]}\".", "architecture");

    /// <summary>Reads typed values from the architecture with errors that name the key and the text found.</summary>
    private sealed class Reader(IReadOnlyDictionary<string, string> values)
    {
        public string Required(string key) =>
            Optional(key) ?? throw new ArgumentException(
                $"The architecture lacks \"{key}\" (it has {string.Join(", ", values.Keys)}).", "architecture");

        public string? Optional(string key) => values.TryGetValue(key, out var v) ? v.Trim() : null;

        public int Int(string key)
        {
            string text = Required(key);
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0
                ? v
                : throw Invalid(key, text, "a positive whole number");
        }

        /// <summary>A whole number of at least <paramref name="minimum"/>, or <paramref name="fallback"/> when the key is absent.</summary>
        public int Int(string key, int fallback, int minimum = 1)
        {
            string? text = Optional(key);
            if (text is null)
            {
                return fallback;
            }

            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= minimum
                ? v
                : throw Invalid(key, text, minimum == 0 ? "a whole number >= 0" : "a positive whole number");
        }

        public int[] Shape(string key, IReadOnlyList<int> fallback)
        {
            string? text = Optional(key);
            try
            {
                return text is null ? [.. fallback] : ParseShape(text);
            }
            catch (ArgumentException)
            {
                throw Invalid(key, text!, "an image shape such as \"1x28x28\"");
            }
        }

        public int[] IntList(string key)
        {
            string text = Required(key);
            try
            {
                return ParseHidden(text);
            }
            catch (ArgumentException)
            {
                throw Invalid(key, text, "positive whole numbers separated by commas, e.g. \"100,100\"");
            }
        }

        public double Double(string key, double fallback)
        {
            string? text = Optional(key);
            if (text is null)
            {
                return fallback;
            }

            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
                ? v
                : throw Invalid(key, text, "a number");
        }

        /// <summary>A fixed standard deviation by <see cref="WeightInit.FixedStd"/>; a scheme such as "he" is refused.</summary>
        public double Std(string key, string fallback)
        {
            string text = Optional(key) ?? fallback;
            try
            {
                return WeightInit.FixedStd(text) ?? throw Invalid(key, text, "a standard deviation (the book's weight_init_std), not a scheme");
            }
            catch (ArgumentException e) when (e.ParamName != "architecture")
            {
                throw Invalid(key, text, "a positive standard deviation such as 0.01");
            }
        }

        public bool Bool(string key, bool fallback) => Optional(key)?.ToLowerInvariant() switch
        {
            null => fallback,
            "true" => true,
            "false" => false,
            var text => throw Invalid(key, text, "\"true\" or \"false\""),
        };

        /// <summary>The dropout ratio, or null for none ("none", "false" or absent).</summary>
        public double? Dropout() => Optional("dropout")?.ToLowerInvariant() switch
        {
            null or "none" or "false" => null,
            var text => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : throw Invalid("dropout", text, "a ratio in [0, 1) or \"none\""),
        };

        private static ArgumentException Invalid(string key, string text, string expected) =>
            new($"The architecture's \"{key}\" is \"{text}\"; it must be {expected}.", "architecture");
    }
}
