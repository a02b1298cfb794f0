namespace DeepScratch.Serialization;

/// <summary>
/// The only Python globals a pickle may name. A pickle calls globals to build objects, and a global can be anything
/// (<c>os.system</c>, <c>builtins.eval</c>), so the reader never looks a name up: it maps the few names that numpy
/// arrays need to these values, refuses every other name on sight, and <see cref="GlobalCalls"/> gives each one a
/// small fixed behaviour written in C#.
/// </summary>
internal enum AllowedGlobal
{
    /// <summary><c>numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')</c>: an empty array that BUILD fills.</summary>
    Reconstruct,

    /// <summary><c>numpy.ndarray</c>: only ever the first argument of <see cref="Reconstruct"/>.</summary>
    NdArray,

    /// <summary><c>numpy.dtype('f4', False, True)</c>: an element type; BUILD sets its byte order.</summary>
    DType,

    /// <summary><c>numpy.core.multiarray.scalar(dtype, raw)</c>: a numpy scalar such as <c>np.float32(1.5)</c>.</summary>
    Scalar,

    /// <summary><c>numpy.core.numeric._frombuffer(buffer, dtype, shape, order)</c>: protocol 5's in-band arrays.</summary>
    FromBuffer,

    /// <summary><c>_codecs.encode(text, 'latin1')</c>: how protocol 2 from Python 3 stores bytes.</summary>
    CodecsEncode,

    /// <summary><c>builtins.bytes()</c> with no arguments: how protocol 2 from Python 3 stores empty bytes (empty arrays).</summary>
    EmptyBytes,

    /// <summary><c>collections.OrderedDict()</c>: a dict that SETITEMS then fills.</summary>
    OrderedDict,
}
