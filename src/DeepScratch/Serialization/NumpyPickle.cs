namespace DeepScratch.Serialization;

/// <summary>
/// Loads numpy arrays from Python pickle files, such as the book's pretrained weights
/// (<c>sample_weight.pkl</c>, <c>params.pkl</c>), without running any of the code a pickle can name.
/// </summary>
/// <remarks>
/// A pickle is a program: unpickling calls whatever functions the file names, which is why loading an untrusted
/// pickle in Python can run arbitrary code. This loader understands the opcodes and refuses every global except the
/// handful numpy uses to describe an array (<c>_reconstruct</c>, <c>ndarray</c>, <c>dtype</c>, <c>scalar</c>,
/// <c>_frombuffer</c> and the helpers protocol 2 needs), so the worst a hostile file can do is be rejected with an
/// <see cref="InvalidDataException"/>.
/// </remarks>
public static class NumpyPickle
{
    /// <summary>Reads the arrays in the pickle file at <paramref name="path"/>, in file order.</summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/> (or it is a folder).</exception>
    /// <exception cref="InvalidDataException">The file is not a readable pickle of numpy arrays, or is refused.</exception>
    public static IReadOnlyList<NumpyArray> Load(string path)
    {
        return Load(WholeFile.Read(path, "pickle", "pickles over 2 GiB are refused: save the arrays in several files"), path);
    }

    /// <summary>Reads the arrays in an in-memory pickle; <paramref name="sourceName"/> names it in error messages.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a readable pickle of numpy arrays, or are refused.</exception>
    public static IReadOnlyList<NumpyArray> Load(ReadOnlySpan<byte> pickle, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        if (pickle.IsEmpty)
        {
            throw new InvalidDataException($"{sourceName}: the file is empty: expected a pickle of numpy arrays.");
        }


        object? root = PickleReader.Read(pickle, sourceName);
        return NamedArrays.Flatten(root, sourceName, pickle.Length);
    }

    /// <summary>Reads the pickle file at <paramref name="path"/> as a map from array name to tensor.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable pickle of numpy arrays, or is refused.</exception>
    public static IReadOnlyDictionary<string, Tensor> LoadTensors(string path) =>
        Load(path).ToDictionary(array => array.Name, array => array.Tensor, StringComparer.Ordinal);
}
