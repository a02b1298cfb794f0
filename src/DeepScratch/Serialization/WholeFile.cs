namespace DeepScratch.Serialization;

/// <summary>
/// The checks every weight reader makes before it reads a file whole (the pickle and safetensors readers both parse
/// an in-memory copy): the path names a file, the file exists, and it fits in one array.
/// </summary>
internal static class WholeFile
{
    /// <summary>Largest file accepted: the whole file is read into one array.</summary>
    internal const long MaxBytes = 0x7FFF_FFC7; // Array.MaxLength, just under 2 GiB.

    /// <summary>
    /// Reads the file at <paramref name="path"/>. <paramref name="format"/> names the format in lower case
    /// ("pickle"); <paramref name="tooLarge"/> ends the message for a file over <see cref="MaxBytes"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/> (or it is a folder).</exception>
    /// <exception cref="InvalidDataException">The file is over <see cref="MaxBytes"/>.</exception>
    public static byte[] Read(string path, string format, string tooLarge)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = new FileInfo(path);
        if (Directory.Exists(path))
        {
            throw new FileNotFoundException($"{path} is a folder, not a {format} file: give the path of the file.", path);
        }

        if (!file.Exists)
        {
            string title = char.ToUpperInvariant(format[0]) + format[1..];
            throw new FileNotFoundException($"{title} file '{path}' not found (looked at {file.FullName}).", path);
        }

        if (file.Length > MaxBytes)
        {
            throw new InvalidDataException($"{path}: the file is {file.Length} bytes; {tooLarge}.");
        }

        return File.ReadAllBytes(path);
    }
}
