namespace DeepScratch.Hardening.Fuzz;

/// <summary>One seed file of a format: its bytes, where it came from, and how often it is picked (big real files less often).</summary>
/// <param name="Name">Where the seed came from, for the report: "t10k-images-idx3-ubyte.gz", "first 50 images".</param>
/// <param name="Bytes">The seed's bytes (never modified: mutators copy).</param>
/// <param name="Weight">Relative chance of being picked as the base of an input.</param>
public sealed record FuzzSeed(string Name, byte[] Bytes, double Weight = 1);

/// <summary>
/// One reader under fuzz: its seeds, its format-aware header lies, the reader call, and the exception types its XML
/// docs promise. The reader returns the bytes of what it produced (arrays, pixels) after checking that the result is
/// consistent (array sizes match shapes); an inconsistent result throws <see cref="FuzzInconsistencyException"/>.
/// </summary>
/// <param name="Name">The format's name on the command line: pickle, idx-images, png, ...</param>
/// <param name="Reader">The library call(s) it fuzzes, for the report: "NumpyPickle.Load(bytes)".</param>
/// <param name="Extension">The extension of the file an input is written to (readers that take a path read it).</param>
/// <param name="Seeds">The valid files mutated.</param>
/// <param name="Read">Reads one input, given as bytes and as a file holding the same bytes; returns the output bytes.</param>
/// <param name="Documented">The exception types the reader documents; anything else is an internal error.</param>
/// <param name="HeaderLie">A format-aware mutation (huge counts, lying lengths, deep nesting, ...), or null.</param>
public sealed record FuzzTarget(
    string Name,
    string Reader,
    string Extension,
    IReadOnlyList<FuzzSeed> Seeds,
    Func<byte[], string, long> Read,
    IReadOnlyList<Type> Documented,
    Func<byte[], Random, byte[]>? HeaderLie)
{
    /// <summary>
    /// The output bytes an input's header honestly asks for, whatever the outcome (an image's raster within the
    /// library's own plausibility bound), counted in the memory ratio's denominator; null for none.
    /// </summary>
    public Func<byte[], long>? Requested { get; init; }

    /// <summary>Whether <paramref name="e"/> is one of <see cref="Documented"/> (or derives from one).</summary>
    public bool IsDocumented(Exception e) => Documented.Any(t => t.IsInstanceOfType(e));
}

/// <summary>A reader returned a result that contradicts itself (e.g. an array whose length is not its shape's product).</summary>
public sealed class FuzzInconsistencyException(string message) : Exception(message);
