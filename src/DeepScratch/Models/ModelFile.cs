using DeepScratch.Serialization;

namespace DeepScratch.Models;

/// <summary>
/// Loads and saves whole models: a safetensors file whose <c>__metadata__</c> records the architecture (so it
/// reloads with no other information), or one of the book's numpy pickles (the chapter 3 network).
/// </summary>
public static class ModelFile
{
    /// <summary>Metadata key naming the file's producer and format version.</summary>
    public const string FormatKey = "format";

    /// <summary>This library's model format, written to every saved model.</summary>
    public const string FormatValue = "deepscratch/1";

    /// <summary>Architecture name of the book's chapter 3 network (W1..b3, sigmoid, sigmoid, softmax).</summary>
    public const string ThreeLayer = "three-layer";

    /// <summary>The model in <paramref name="path"/>, whatever its format.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed or does not describe a known model.</exception>
    public static IClassifier Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"model file not found: {path}", path);
        }

        if (!SafeTensors.LooksLikeSafeTensors(path))
        {
            return ThreeLayerNet.Load(path);
        }

        var file = SafeTensors.Load(path);
        if (!file.Metadata.TryGetValue("model", out string? model))
        {
            throw new InvalidDataException(
                $"{path} has no \"model\" entry in its safetensors metadata, so its architecture is unknown; save it with deepscratch train or convert.");
        }

        if (model == ThreeLayer)
        {
            return ThreeLayerNet.FromWeights(file.Tensors, path);
        }

        INetwork network;
        try
        {
            network = NetworkFactory.Create(file.Metadata);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: its metadata does not describe a network DeepScratch can build ({e.Message})", e);
        }

        try
        {
            network.LoadParameters(file.Tensors);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }

        return network;
    }

    /// <summary>The dataset a saved model was trained on ("mnist", "fashion-mnist"), when its metadata records one.</summary>
    public static string? TrainedOn(string path)
    {
        if (!File.Exists(path) || !SafeTensors.LooksLikeSafeTensors(path))
        {
            return null;
        }

        return SafeTensors.Load(path).Metadata.TryGetValue("dataset", out string? dataset) ? dataset : null;
    }

    /// <summary>
    /// The one rule every command uses to pick its images: <paramref name="requested"/> (the user's <c>--dataset</c>)
    /// when given; else the dataset the model in <paramref name="modelPath"/> was trained on, as its metadata records;
    /// else MNIST (the book's pickles, and <paramref name="modelPath"/> null for the book's own network).
    /// </summary>
    /// <exception cref="InvalidDataException">The model records a dataset DeepScratch does not know.</exception>
    public static Data.DatasetKind DatasetFor(string? modelPath, Data.DatasetKind? requested)
    {
        if (requested is { } kind)
        {
            return kind;
        }

        string? trainedOn = modelPath is null ? null : TrainedOn(modelPath);
        if (trainedOn is null)
        {
            return Data.DatasetKind.Mnist;
        }

        return Data.Catalog.ParseName(trainedOn) ?? throw new InvalidDataException(
            $"{modelPath} was trained on \"{trainedOn}\", a dataset DeepScratch does not have; choose one with --dataset mnist or fashion-mnist.");
    }

    /// <summary>Saves a trained network's parameters, buffers (BatchNorm's running statistics) and architecture (plus <paramref name="extra"/> metadata), atomically.</summary>
    public static void Save(string path, INetwork network, IReadOnlyDictionary<string, string>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        var metadata = new Dictionary<string, string>(network.Architecture) { [FormatKey] = FormatValue };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            metadata.TryAdd(key, value);
        }

        var tensors = network.Parameters.Select(p => KeyValuePair.Create(p.Name, p.Value)).Concat(network.Buffers);
        SafeTensors.Save(path, tensors, metadata);
    }

    /// <summary>
    /// Converts one of the book's pickles to safetensors: every array keeps its name, and a file holding the chapter 3
    /// network's W1..b3 is marked as such so <see cref="Load"/> rebuilds it.
    /// </summary>
    public static int Convert(string picklePath, string outputPath)
    {
        var arrays = NumpyPickle.Load(picklePath);
        var metadata = new Dictionary<string, string> { [FormatKey] = FormatValue, ["source"] = Path.GetFileName(picklePath) };
        var names = arrays.Select(a => a.Name).ToHashSet(StringComparer.Ordinal);
        if (ThreeLayerNet.ParameterNames.All(names.Contains) && IsThreeLayerNet(arrays, picklePath))
        {
            metadata["model"] = ThreeLayer;
        }

        SafeTensors.Save(outputPath, arrays.Select(a => KeyValuePair.Create(a.Name, a.Tensor)), metadata);
        return arrays.Count;
    }

    /// <summary>Whether arrays named W1..b3 really chain as the chapter 3 network (the CNN pickles use the same names).</summary>
    private static bool IsThreeLayerNet(IReadOnlyList<NumpyArray> arrays, string source)
    {
        try
        {
            ThreeLayerNet.FromWeights(arrays.ToDictionary(a => a.Name, a => a.Tensor), source);
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }
}
