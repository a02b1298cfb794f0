namespace DeepScratch.Models;

/// <summary>
/// The book's three pretrained networks, recognised from a file's array names and shapes: <c>sample_weight.pkl</c>
/// (the chapter 3 network, W1..b3 matrices), <c>params.pkl</c> (SimpleConvNet, W1..b3 with 4-d filters W1) and
/// <c>deep_convnet_params.pkl</c> (DeepConvNet, W1..W8, b1..b8). The one recogniser every command uses; float64
/// arrays (as the pickles store them) arrive here already read as float32.
/// </summary>
public static class BookNetworks
{
    /// <summary>The names a caller may force (<c>--model</c>), in the book's order.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly([ModelFile.ThreeLayer, NetworkFactory.SimpleCnn, NetworkFactory.DeepCnn]);

    /// <summary>
    /// Which book network <paramref name="arrays"/> hold, from their names (and W1's rank, which tells the chapter 3
    /// network's matrix from SimpleConvNet's filters), or null when they are none of them.
    /// </summary>
    public static string? Recognise(IReadOnlyDictionary<string, Tensor> arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        bool Has(int layers) => arrays.Count == 2 * layers && Enumerable.Range(1, layers).All(i => arrays.ContainsKey($"W{i}") && arrays.ContainsKey($"b{i}"));
        if (Has(3))
        {
            return arrays["W1"].Rank == 4 ? NetworkFactory.SimpleCnn : ModelFile.ThreeLayer;
        }

        return Has(8) ? NetworkFactory.DeepCnn : null;
    }

    /// <summary>
    /// Builds the book network <paramref name="arrays"/> hold (or <paramref name="model"/>, when forced) after checking
    /// every array's name and shape against it, so nothing is allocated for a file that is not that network.
    /// </summary>
    /// <param name="arrays">Named arrays, e.g. from <see cref="Serialization.NumpyPickle.LoadTensors"/>.</param>
    /// <param name="source">The file, for messages.</param>
    /// <param name="model">One of <see cref="Names"/> to force, or null to recognise.</param>
    /// <exception cref="InvalidDataException">
    /// The arrays are none of the book's networks (one line listing them), or an array is missing, unknown, of another
    /// shape than the network needs (e.g. "params.pkl: W2 has shape (4320, 99) but simple-cnn needs (4320, 100)") or not finite.
    /// </exception>
    /// <exception cref="ArgumentException"><paramref name="model"/> is not one of <see cref="Names"/>.</exception>
    public static IClassifier Build(IReadOnlyDictionary<string, Tensor> arrays, string source, string? model = null)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        if (model is not null && !Names.Contains(model))
        {
            throw new ArgumentException($"\"{model}\" is not one of the book's networks: use {string.Join(", ", Names)}.", nameof(model));
        }

        string name = model ?? Recognise(arrays) ?? throw new InvalidDataException(
            $"{source}: its arrays ({ModelFile.ShownList(arrays.Keys)}) are none of the book's networks " +
            $"({ModelFile.ThreeLayer}: W1..b3; {NetworkFactory.SimpleCnn}: W1..b3 with filters W1 (FN, C, FH, FW); {NetworkFactory.DeepCnn}: W1..b8).");
        if (name == ModelFile.ThreeLayer)
        {
            return ThreeLayerNet.FromWeights(arrays, source);
        }

        LayeredNetwork network;
        if (name == NetworkFactory.SimpleCnn)
        {
            var d = SimpleConvNet.DefaultInputShape;
            ModelFile.CheckShapes(source, arrays, SimpleConvNet.ParameterShapes(d, SimpleConvNet.DefaultFilters, SimpleConvNet.DefaultFilterSize,
                SimpleConvNet.DefaultPad, SimpleConvNet.DefaultStride, SimpleConvNet.DefaultHidden, SimpleConvNet.DefaultClasses), name);
            network = new SimpleConvNet();
        }
        else
        {
            ModelFile.CheckShapes(source, arrays, DeepConvNet.ParameterShapes(SimpleConvNet.DefaultInputShape, SimpleConvNet.DefaultClasses), name);
            network = new DeepConvNet();
        }

        try
        {
            network.LoadParameters(arrays);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: {ErrorText.Fragment(e, endsLine: true)}", e);
        }

        return network;
    }
}
