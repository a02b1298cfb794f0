using DeepScratch.Models;
using DeepScratch.Serialization;

namespace DeepScratch.Web;

/// <summary>The networks a server offers, by name; the first is the default.</summary>
public sealed class ServedModels
{
    private readonly Dictionary<string, ServedModel> _byName;

    /// <summary>Wraps already loaded networks (names must be unique; the first is the default).</summary>
    /// <exception cref="ArgumentException">No network, or two with the same name.</exception>
    public ServedModels(IReadOnlyList<ServedModel> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (models.Count == 0)
        {
            throw new ArgumentException("at least one network is needed.", nameof(models));
        }

        _byName = models.ToDictionary(m => m.Name, StringComparer.Ordinal);
        Models = models;
    }

    /// <summary>The networks in the order the page lists them.</summary>
    public IReadOnlyList<ServedModel> Models { get; }

    /// <summary>The network used when a request names none: the first.</summary>
    public ServedModel Default => Models[0];

    /// <summary>
    /// Loads every model file through <see cref="ModelFile.Load(string)"/> (numpy pickles of the book's networks,
    /// safetensors models), in order; each is named by its file name without the extension, made unique with
    /// "-2", "-3" when two different files share a name. A file given twice (the same full path once symbolic links are
    /// followed, e.g. the data folder's params.pkl and --weights pointing at it) is served once, under its first name.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is not a model DeepScratch reads, or its network does not classify
    /// 28x28 images into 10 classes; the message names the file.</exception>
    public static ServedModels Load(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var models = new List<ServedModel>();
        foreach (string path in paths)
        {
            // One file named twice (also through symbolic links) is served once, under its first name.
            if (models.Any(m => AtomicFile.IsSameFile(m.Path, path)))
            {
                continue;
            }

            string stem = System.IO.Path.GetFileNameWithoutExtension(path);
            string name = stem;
            for (int n = 2; !names.Add(name); n++)
            {
                name = $"{stem}-{n}";
            }

            models.Add(new ServedModel(name, path, ModelFile.Load(path)));
        }

        return new ServedModels(models);
    }

    /// <summary>The network called <paramref name="name"/>, or null.</summary>
    public ServedModel? Find(string name) => _byName.GetValueOrDefault(name);
}
