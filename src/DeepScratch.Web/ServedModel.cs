using System.Collections.Concurrent;
using DeepScratch.Data;
using DeepScratch.Models;

namespace DeepScratch.Web;

/// <summary>
/// One network the page can use: its name, the loaded classifier, and a pool of inference sessions so concurrent
/// requests share the one compiled engine (a session serves one call at a time).
/// </summary>
public sealed class ServedModel
{
    /// <summary>Inputs a served network must take: a 28x28 image.</summary>
    public const int Inputs = DigitImage.Size * DigitImage.Size;

    /// <summary>Classes a served network must give: the ten digits.</summary>
    public const int Classes = DigitImage.Classes;

    private readonly InferenceEngine? _engine;
    private readonly ConcurrentBag<InferenceSession> _sessions = [];
    private readonly Lock _layerByLayer = new();

    /// <summary>Wraps a loaded network, checking that it classifies 28x28 images into 10 classes.</summary>
    /// <param name="name">The name the API uses (the file name without its extension).</param>
    /// <param name="path">The model file, for messages.</param>
    /// <param name="model">The network, from <see cref="ModelFile.Load(string)"/>.</param>
    /// <exception cref="InvalidDataException">The network does not take 784 inputs or does not give 10 classes, or its
    /// metadata records a dataset DeepScratch does not know.</exception>
    public ServedModel(string name, string path, IClassifier model)
    {
        DigitImage.RequireDigitClassifier(model, path, "serve");
        Dataset = ModelFile.DatasetFor(path, null);

        Name = name;
        Path = path;
        Model = model;
        _engine = model.CompileInference();
    }

    /// <summary>The name requests use.</summary>
    public string Name { get; }

    /// <summary>The file the network was loaded from.</summary>
    public string Path { get; }

    /// <summary>The dataset the network was trained on, as its file records it (MNIST for the book's pickles): the class names.</summary>
    public DatasetKind Dataset { get; }

    /// <summary>How to show class <paramref name="label"/>: the digit for MNIST, the name for Fashion-MNIST ("Ankle boot").</summary>
    public string ClassName(int label) => Catalog.ClassName(Dataset, label);

    /// <summary>The network.</summary>
    public IClassifier Model { get; }

    /// <summary>
    /// The ten class probabilities for one 28x28 input (values in [0, 1], row by row). Safe to call from several
    /// threads at once: each call borrows a session of the shared engine (or, for a network the engine cannot
    /// compile, takes a lock around the layer-by-layer prediction, whose layers keep buffers).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="pixels"/> does not hold <see cref="Inputs"/> values.</exception>
    /// <exception cref="InvalidDataException">The network's outputs are not finite.</exception>
    public float[] Predict(float[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length != Inputs)
        {
            throw new ArgumentException($"{pixels.Length} values given; the network takes {Inputs}.", nameof(pixels));
        }

        var p = new float[Classes];
        if (_engine is null)
        {
            lock (_layerByLayer)
            {
                Model.Predict(new DeepScratch.Tensors.Tensor((float[])pixels.Clone(), [1, .. Model.InputShape])).Span.CopyTo(p);
            }
        }
        else
        {
            var session = _sessions.TryTake(out var pooled) ? pooled : _engine.CreateSession(1);
            try
            {
                session.Predict(pixels, 1, p);
            }
            finally
            {
                _sessions.Add(session);
            }
        }

        Evaluation.ThrowIfNotFinite(Model, p, p.Length, 0, "input");
        return p;
    }
}
