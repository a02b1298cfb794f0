namespace DeepScratch.Serialization;

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
