namespace DeepScratch.Models;

/// <summary>
/// One line about a network for headers and logs, the same wherever it is shown (the CLI's train, eval and predict,
/// a future web server): e.g. "multi-layer 784-100-100-10 (relu, batchnorm)" or "784-50-100-10, sigmoid, sigmoid, softmax".
/// </summary>
public static class NetworkDescription
{
    /// <summary>
    /// The description of <paramref name="model"/>: a trainable network from its <see cref="INetwork.Architecture"/>,
    /// the book's chapter 3 network from its weight shapes, anything else by its type name.
    /// </summary>
    public static string Describe(IClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model switch
        {
            ThreeLayerNet n => $"{n.InputShape[0]}-{n.W1.Dim(1)}-{n.W2.Dim(1)}-{n.Classes}, sigmoid, sigmoid, softmax",
            INetwork n => Describe(n.Architecture),
            _ => model.GetType().Name,
        };
    }

    /// <summary>
    /// The description of an architecture (<see cref="INetwork.Architecture"/>, a model file's metadata): the model,
    /// the layer sizes joined by "-", then the activation, "batchnorm" and the dropout ratio where they apply.
    /// Missing keys are left empty rather than refused: this only displays.
    /// </summary>
    public static string Describe(IReadOnlyDictionary<string, string> architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        string Get(string key) => architecture.TryGetValue(key, out var v) ? v : "";
        string layers = $"{Get("input")}-{Get("hidden").Replace(',', '-')}-{Get("output")}";
        var extras = new List<string>();
        if (Get("activation") is { Length: > 0 } act)
        {
            extras.Add(act);
        }

        if (Get("batchnorm") == "true")
        {
            extras.Add("batchnorm");
        }

        if (Get("dropout") is { Length: > 0 } d && d is not ("0" or "none"))
        {
            extras.Add($"dropout {d}");
        }

        return $"{Get("model")} {layers}" + (extras.Count > 0 ? $" ({string.Join(", ", extras)})" : "");
    }
}
