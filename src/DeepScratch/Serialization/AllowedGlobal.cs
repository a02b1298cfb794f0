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

/// <summary>Maps global names found in a pickle to <see cref="AllowedGlobal"/> values, and back for messages.</summary>
internal static class AllowedGlobals
{
    /// <summary>
    /// The allowed global for <paramref name="module"/>.<paramref name="name"/>, or false. numpy 2 renamed
    /// <c>numpy.core</c> to <c>numpy._core</c>, so both spellings are accepted; protocol 2 writes Python 3's
    /// <c>builtins</c> as Python 2's <c>__builtin__</c>.
    /// </summary>
    public static bool TryResolve(string module, string name, out AllowedGlobal global)
    {
        AllowedGlobal? found = (module, name) switch
        {
            ("numpy.core.multiarray" or "numpy._core.multiarray", "_reconstruct") => AllowedGlobal.Reconstruct,
            ("numpy.core.multiarray" or "numpy._core.multiarray", "scalar") => AllowedGlobal.Scalar,
            ("numpy.core.numeric" or "numpy._core.numeric", "_frombuffer") => AllowedGlobal.FromBuffer,
            ("numpy", "ndarray") => AllowedGlobal.NdArray,
            ("numpy", "dtype") => AllowedGlobal.DType,
            ("_codecs", "encode") => AllowedGlobal.CodecsEncode,
            ("builtins" or "__builtin__", "bytes") => AllowedGlobal.EmptyBytes,
            ("collections", "OrderedDict") => AllowedGlobal.OrderedDict,
            _ => null,
        };
        global = found.GetValueOrDefault();
        return found.HasValue;
    }

    /// <summary>The Python name of an allowed global (numpy 1 spelling), for error messages.</summary>
    public static string Name(AllowedGlobal global) => global switch
    {
        AllowedGlobal.Reconstruct => "numpy.core.multiarray._reconstruct",
        AllowedGlobal.NdArray => "numpy.ndarray",
        AllowedGlobal.DType => "numpy.dtype",
        AllowedGlobal.Scalar => "numpy.core.multiarray.scalar",
        AllowedGlobal.FromBuffer => "numpy.core.numeric._frombuffer",
        AllowedGlobal.CodecsEncode => "_codecs.encode",
        AllowedGlobal.EmptyBytes => "builtins.bytes",
        AllowedGlobal.OrderedDict => "collections.OrderedDict",
        _ => global.ToString(),
    };
}
