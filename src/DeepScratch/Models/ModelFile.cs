using DeepScratch.Layers;
using DeepScratch.Serialization;

namespace DeepScratch.Models;

/// <summary>
/// Loads and saves whole models: a safetensors file whose <c>__metadata__</c> records the architecture (so it
/// reloads with no other information), or one of the book's numpy pickles (<see cref="BookNetworks"/>).
/// </summary>
public static class ModelFile
{
    /// <summary>Metadata key naming the file's producer and format version.</summary>
    public const string FormatKey = "format";

    /// <summary>This library's model format, written to every saved model.</summary>
    public const string FormatValue = "deepscratch/1";

    /// <summary>
    /// Metadata key of the dataset a model was trained on (<c>Catalog.FolderName</c>: "mnist", "fashion-mnist"), which
    /// trainers write and <see cref="TrainedOn"/> reads.
    /// </summary>
    public const string DatasetKey = "dataset";

    /// <summary>Architecture name of the book's chapter 3 network (W1..b3, sigmoid, sigmoid, softmax).</summary>
    public const string ThreeLayer = "three-layer";

    /// <summary>
    /// The model in <paramref name="path"/>, whatever its format. Networks are built from checked tensors, never from
    /// metadata alone: the tensors' names and shapes must form the network the metadata describes before anything is
    /// allocated for it, and every parameter must be finite (the non-finite rule).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is malformed or does not describe a known model; a tensor is missing, has the wrong shape or holds NaN or
    /// ±∞. The message names the file and the array at fault.
    /// </exception>
    public static IClassifier Load(string path) => Load(path, null);

    /// <summary>
    /// The model in <paramref name="path"/>, as <see cref="Load(string)"/>; <paramref name="force"/> (one of
    /// <see cref="BookNetworks.Names"/>, the CLI's <c>--model</c>) says which of the book's networks a pickle or an
    /// unmarked safetensors file holds instead of recognising it from the arrays' names and shapes.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">As <see cref="Load(string)"/>; or the file records another network than <paramref name="force"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="force"/> is not one of <see cref="BookNetworks.Names"/>.</exception>
    public static IClassifier Load(string path, string? force)
    {
        if (force is not null && !BookNetworks.Names.Contains(force))
        {
            throw new ArgumentException($"\"{force}\" is not one of the book's networks: use {string.Join(", ", BookNetworks.Names)}.", nameof(force));
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"model file not found: {path}", path);
        }

        if (!SafeTensors.LooksLikeSafeTensors(path))
        {
            return BookNetworks.Build(NumpyPickle.LoadTensors(path), path, force);
        }

        var file = SafeTensors.Load(path);
        file.Metadata.TryGetValue("model", out string? named);
        if (file.Metadata.TryGetValue(NetworkDescription.MetadataKey, out string? layers) && named != ThreeLayer)
        {
            return LoadDescribed(path, file, layers, named, force);
        }

        if (named is not { } model)
        {
            return LoadUnmarked(path, file, force);
        }

        if (force is not null && force != model)
        {
            throw OtherModel(path, model, force);
        }

        if (model == ThreeLayer)
        {
            return ThreeLayerNet.FromWeights(file.Tensors, path);
        }

        try
        {
            if (TrainableModels.IsConvolutional(model))
            {
                CheckShapes(path, file.Tensors, NetworkFactory.ConvolutionalShapes(file.Metadata), model);
            }
            else
            {
                CheckTensorsFit(path, file.Tensors, NetworkFactory.LayerSizes(file.Metadata));
            }
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: its metadata does not describe a network DeepScratch can build ({ErrorText.Fragment(e)})", e);
        }

        INetwork network;
        try
        {
            network = NetworkFactory.Create(file.Metadata);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: its metadata does not describe a network DeepScratch can build ({ErrorText.Fragment(e)})", e);
        }

        try
        {
            network.LoadParameters(file.Tensors);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {ErrorText.Fragment(e, endsLine: true)}", e);
        }

        return network;
    }

    /// <summary>
    /// A file whose metadata holds the layer sequence (<see cref="NetworkDescription"/>): the tensors' names and shapes
    /// are checked against the description before anything is allocated; a known "model" is rebuilt as its class (with
    /// its training settings) and must have exactly the described layers, any other network as a <see cref="SequentialNetwork"/>.
    /// </summary>
    private static IClassifier LoadDescribed(string path, SafeTensorsFile file, string layers, string? model, string? force)
    {
        // A --model naming the file's own model only repeats what the file says; another one contradicts it.
        if (force is not null && force != model)
        {
            throw OtherModel(path, model ?? "described (unnamed)", force);
        }

        NetworkDescription description;
        try
        {
            description = NetworkDescription.Parse(layers);
            CheckShapes(path, file.Tensors, description.ParameterShapes(), "the described network");
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: its metadata does not describe a network DeepScratch can build ({ErrorText.Fragment(e)})", e);
        }

        bool named = model is not null && NetworkFactory.ModelNames.Contains(model);
        if (named && !FlatKeysAgree(file.Metadata, model!, description))
        {
            // Checked from the text before Create: flat keys cannot make the loader build a network the tensors do not fit.
            throw new InvalidDataException(
                $"{path}: its metadata is inconsistent: the {DisplayText.Escape(model!, 60)} settings do not give the layers \"{DisplayText.Escape(description.Text, 300)}\" the file describes.");
        }

        LayeredNetwork network;
        try
        {
            network = named
                ? (LayeredNetwork)NetworkFactory.Create(file.Metadata)
                : description.Build();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: its metadata does not describe a network DeepScratch can build ({ErrorText.Fragment(e)})", e);
        }

        if (NetworkDescription.Of(network).Text != description.Text)
        {
            throw new InvalidDataException(
                $"{path}: its metadata is inconsistent: \"{DisplayText.Escape(model!, 60)}\" has the layers \"{NetworkDescription.Of(network).Text}\", not the \"{DisplayText.Escape(description.Text, 300)}\" the file describes.");
        }

        try
        {
            network.LoadParameters(file.Tensors);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {ErrorText.Fragment(e, endsLine: true)}", e);
        }

        return network;
    }

    /// <summary>The one message for a forced model (--model) other than the one the file records.</summary>
    private static InvalidDataException OtherModel(string path, string model, string force) =>
        new($"{path} records a {DisplayText.Escape(model, 60)} network, not {force}: its own metadata says what it holds (leave out the forced model).");

    /// <summary>Whether a known model's flat keys give the parameter shapes of the description, read from text alone.</summary>
    private static bool FlatKeysAgree(IReadOnlyDictionary<string, string> metadata, string model, NetworkDescription description)
    {
        var described = description.ParameterShapes();
        try
        {
            if (TrainableModels.IsConvolutional(model))
            {
                var shapes = NetworkFactory.ConvolutionalShapes(metadata);
                return shapes.Count == described.Count && shapes.All(p => described.TryGetValue(p.Key, out var d) && d.SequenceEqual(p.Value));
            }

            int[] sizes = NetworkFactory.LayerSizes(metadata);
            return described.Keys.Count(k => k.StartsWith('W')) == sizes.Length - 1
                && Enumerable.Range(1, sizes.Length - 1).All(i => described.TryGetValue($"W{i}", out var w) && w.SequenceEqual([sizes[i - 1], sizes[i]]));
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// Checks that the file holds exactly the tensors <paramref name="expected"/> names, each of its shape (a bias may
    /// be (1, n) as numpy broadcasts it), and that every tensor is finite, before the network is built.
    /// </summary>
    internal static void CheckShapes(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, int[]> expected, string model)
    {
        var missing = expected.Keys.Where(n => !tensors.ContainsKey(n)).ToArray();
        if (missing.Length > 0)
        {
            throw new InvalidDataException($"{path}: {model} needs {ShownList(missing)}, which the file lacks (it has {ShownList(tensors.Keys)}).");
        }

        var unknown = tensors.Keys.Where(n => !expected.ContainsKey(n)).ToArray();
        if (unknown.Length > 0)
        {
            throw new InvalidDataException($"{path}: {model} has no {ShownList(unknown)} (the file holds arrays of another network).");
        }

        foreach (var (name, shape) in expected)
        {
            var given = tensors[name];
            bool fits = given.Shape.SequenceEqual(shape) || (shape.Length == 1 && given.Rank == 2 && given.Dim(0) == 1 && given.Dim(1) == shape[0]);
            if (!fits)
            {
                throw new InvalidDataException($"{path}: {Shown(name)} has shape {given.ShapeString} but {model} needs {Tensor.FormatShape(shape)}.");
            }
        }

        foreach (var (name, value) in tensors)
        {
            FiniteParameters.ThrowIfNotFinite(path, name, value);
        }
    }

    /// <summary>
    /// Checks that the file's affine layers W1, b1, ... chain into exactly the sizes its metadata describes, and that
    /// every tensor is finite, before the network is built: a 192-byte file cannot make the loader build a huge one.
    /// </summary>
    private static void CheckTensorsFit(string path, IReadOnlyDictionary<string, Tensor> tensors, int[] described)
    {
        int layers = described.Length - 1;
        var missing = Enumerable.Range(1, layers).SelectMany(i => new[] { $"W{i}", $"b{i}" }).Where(n => !tensors.ContainsKey(n)).ToArray();
        string shape = string.Join("-", described);
        if (missing.Length > 0)
        {
            throw new InvalidDataException(
                $"{path}: its metadata describes a {shape} network but the file lacks {string.Join(", ", missing)} (it has {string.Join(", ", tensors.Keys)}).");
        }

        int[] sizes;
        try
        {
            sizes = Affine.CheckChain(
                Enumerable.Range(1, layers).Select(i => ($"W{i}", tensors[$"W{i}"], $"b{i}", tensors[$"b{i}"])).ToArray(), inputSize: null).Sizes;
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {ErrorText.Fragment(e, endsLine: true)}", e);
        }

        if (!sizes.SequenceEqual(described))
        {
            throw new InvalidDataException(
                $"{path}: its metadata describes a {shape} network but its tensors form {string.Join("-", sizes)}: the file is inconsistent and cannot be used.");
        }

        foreach (var (name, value) in tensors)
        {
            FiniteParameters.ThrowIfNotFinite(path, name, value);
        }
    }

    /// <summary>
    /// A safetensors file without DeepScratch's "model" entry (written by Python, or converted by an earlier version):
    /// the book's networks are recognised from the arrays (<see cref="BookNetworks"/>); anything else is explained.
    /// </summary>
    private static IClassifier LoadUnmarked(string path, SafeTensorsFile file, string? force)
    {
        if (force is not null || BookNetworks.Recognise(file.Tensors) is not null)
        {
            return BookNetworks.Build(file.Tensors, path, force);
        }

        string from = file.Metadata.TryGetValue("source", out string? source) ? $" (converted from {source})" : "";
        string names = string.Join(", ", file.Tensors.Keys);
        throw new InvalidDataException(file.Metadata.TryGetValue(FormatKey, out string? format) && format == FormatValue
            ? $"{path} holds arrays ({names}){from} that do not form a network DeepScratch can run."
            : $"{path} has no \"model\" entry in its safetensors metadata and its arrays ({names}) are not the book's W1..b3, so its architecture is unknown.");
    }

    /// <summary>The dataset a saved model was trained on ("mnist", "fashion-mnist"), when its metadata records one.</summary>
    public static string? TrainedOn(string path)
    {
        if (!File.Exists(path) || !SafeTensors.LooksLikeSafeTensors(path))
        {
            return null;
        }

        return SafeTensors.Load(path).Metadata.TryGetValue(DatasetKey, out string? dataset) ? dataset : null;
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

    /// <summary>
    /// Saves a trained network's parameters, buffers (BatchNorm's running statistics), architecture and layer sequence
    /// (<see cref="NetworkDescription"/>, so it reloads with no other information), plus <paramref name="extra"/> metadata, atomically.
    /// </summary>
    public static void Save(string path, INetwork network, IReadOnlyDictionary<string, string>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        var metadata = new Dictionary<string, string>(network.Architecture)
        {
            [FormatKey] = FormatValue,
            [NetworkDescription.MetadataKey] = NetworkDescription.Of(network).Text,
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            metadata.TryAdd(key, value);
        }

        var tensors = network.Parameters.Select(p => KeyValuePair.Create(p.Name, p.Value)).Concat(network.Buffers);
        SafeTensors.Save(path, tensors, metadata);
    }

    /// <summary>
    /// Converts one of the book's pickles to safetensors: every array keeps its name and is stored as float32; a file
    /// holding one of the book's networks (<see cref="BookNetworks"/>: the chapter 3 network, SimpleConvNet,
    /// DeepConvNet) is marked with its architecture so <see cref="Load(string)"/> rebuilds it. Nothing is dropped
    /// silently: the returned notes say what changed (float64 stored as float32) and what eval cannot use.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The pickle is malformed; an array holds NaN or ±∞; or arrays named as one of the book's networks do not form it
    /// (the message says which array is wrong and the shape needed; nothing is written).
    /// </exception>
    /// <exception cref="ArgumentException">
    /// A path is empty, <paramref name="outputPath"/> is the pickle itself (also through a symbolic link), or <paramref name="force"/> is unknown.
    /// </exception>
    /// <param name="picklePath">The book's pickle.</param>
    /// <param name="outputPath">The safetensors file to write.</param>
    /// <param name="force">One of <see cref="BookNetworks.Names"/> (the CLI's <c>--model</c>) naming the network the pickle holds, or null to recognise it.</param>
    public static ConversionResult Convert(string picklePath, string outputPath, string? force = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        ArgumentException.ThrowIfNullOrEmpty(picklePath);
        if (AtomicFile.IsSameFile(picklePath, outputPath))
        {
            throw new ArgumentException($"{outputPath} is the pickle being converted ({picklePath}): writing it would replace the weights.", nameof(outputPath));
        }

        var arrays = NumpyPickle.Load(picklePath);
        string file = Path.GetFileName(picklePath);
        foreach (var array in arrays)
        {
            FiniteParameters.ThrowIfNotFinite(picklePath, array.Name, array.Tensor);
        }

        var metadata = new Dictionary<string, string> { [FormatKey] = FormatValue, ["source"] = file };
        var notes = new List<string>();
        var names = arrays.Select(a => a.Name).ToHashSet(StringComparer.Ordinal);
        var tensors = arrays.ToDictionary(a => a.Name, a => a.Tensor);
        if (force is not null || BookNetworks.Recognise(tensors) is not null)
        {
            // Throws with the array at fault: a file that looks like one of the book's networks but is not one is refused.
            var network = BookNetworks.Build(tensors, picklePath, force);
            metadata[NetworkDescription.MetadataKey] = NetworkDescription.Of(network).Text;
            if (network is INetwork layered)
            {
                foreach (var (key, value) in layered.Architecture)
                {
                    metadata[key] = value;
                }
            }
            else
            {
                metadata["model"] = ThreeLayer;
            }
        }
        else
        {
            notes.Add($"{file} holds none of the book's networks (it has {ShownList(names)}): " +
                "its arrays are converted, but eval and predict cannot use the result.");
        }

        var widened = arrays.Where(a => !a.DType.EndsWith("f4", StringComparison.Ordinal)).GroupBy(a => a.DType[1..]).ToArray();
        foreach (var group in widened)
        {
            notes.Add($"{group.Count()} {Shown(DTypeName(group.Key))} array{(group.Count() == 1 ? " is" : "s are")} stored as float32 " +
                $"({ShownList(group.Select(a => a.Name))}), the type DeepScratch computes in.");
        }

        SafeTensors.Save(outputPath, arrays.Select(a => KeyValuePair.Create(a.Name, a.Tensor)), metadata);
        return new ConversionResult(arrays.Count, notes);
    }

    /// <summary>A file-chosen name for a note, with control characters escaped (it could otherwise drive the terminal).</summary>
    private static string Shown(string name) => DisplayText.Escape(name, 200);

    /// <summary>Names for a note: escaped, and the first 32 only, so a file of 100,000 arrays gives one readable line.</summary>
    internal static string ShownList(IEnumerable<string> names)
    {
        const int MaxShown = 32;
        var list = names.ToList();
        string head = string.Join(", ", list.Take(MaxShown).Select(n => DisplayText.Escape(n, 200)));
        return list.Count > MaxShown ? $"{head} and {list.Count - MaxShown} more" : head;
    }

    private static string DTypeName(string code) => code switch
    {
        "f8" => "float64",
        "f2" => "float16",
        _ => $"numpy {code}",
    };
}
