namespace DeepScratch.Serialization;

/// <summary>
/// What REDUCE (a call) and BUILD (<c>__setstate__</c>) do for each <see cref="AllowedGlobal"/>. This is the whole of
/// "executing" a pickle here: a closed switch over a handful of numpy constructors, each checking its arguments.
/// </summary>
internal static class GlobalCalls
{
    /// <summary>Performs <c>callable(*args)</c> for an allowed global.</summary>
    public static object Call(AllowedGlobal callable, object?[] args, AllocationBudget budget) => callable switch
    {
        AllowedGlobal.Reconstruct => Reconstruct(args),
        AllowedGlobal.DType => NewDType(args),
        AllowedGlobal.Scalar => Scalar(args, budget),
        AllowedGlobal.FromBuffer => FromBuffer(args, budget),
        AllowedGlobal.CodecsEncode => EncodeLatin1(args, budget),
        AllowedGlobal.EmptyBytes => EmptyBytes(args),
        AllowedGlobal.OrderedDict => NewOrderedDict(args, budget),
        _ => throw new PickleException($"{AllowedGlobals.Name(callable)} cannot be called on its own",
            "it is only valid as the first argument of numpy.core.multiarray._reconstruct."),
    };

    /// <summary>Applies a BUILD state to the object on top of the stack: an array's data or a dtype's byte order.</summary>
    public static void Build(object? target, object? state, AllocationBudget budget)
    {
        switch (target)
        {
            case PickledArray array:
                array.Value = ArrayFromState(state, budget);
                break;
            case PickledDType dtype:
                dtype.Type = dtype.Type.WithByteOrder(ByteOrderFromState(state));
                break;
            default:
                throw new PickleException($"BUILD on {PickleValue.Describe(target)} is not supported",
                    "only numpy arrays and dtypes take a state here.");
        }
    }

    /// <summary><c>_reconstruct(ndarray, (0,), b'b')</c>: the shape and type arguments are placeholders BUILD replaces.</summary>
    private static PickledArray Reconstruct(object?[] args)
    {
        var tuple = PickleValue.AsTuple(args, "the arguments of _reconstruct", 3, 3);
        if (tuple[0] is not AllowedGlobal.NdArray)
        {
            throw new PickleException($"_reconstruct builds {PickleValue.Describe(tuple[0])} instead of numpy.ndarray",
                "subclasses of ndarray are not supported; save plain arrays (np.asarray).");
        }

        return new PickledArray();
    }

    /// <summary><c>dtype(code, align, copy)</c>: only the type code matters; the byte order follows in BUILD.</summary>
    private static PickledDType NewDType(object?[] args)
    {
        var tuple = PickleValue.AsTuple(args, "the arguments of numpy.dtype", 1, 3);
        return new PickledDType(NumpyDType.Parse(PickleValue.AsText(tuple[0], "the dtype code")));
    }

    /// <summary><c>scalar(dtype, raw)</c>: a numpy scalar, loaded as a 0-d array.</summary>
    private static PickledArray Scalar(object?[] args, AllocationBudget budget)
    {
        var tuple = PickleValue.AsTuple(args, "the arguments of numpy scalar", 2, 2);
        var dtype = RequireDType(tuple[0], "the dtype of a numpy scalar");
        byte[] raw = PickleValue.AsBytes(tuple[1], "the data of a numpy scalar");
        return new PickledArray { Value = ArrayDecoder.Decode([], dtype, fortranOrder: false, raw, budget) };
    }

    /// <summary>
    /// <c>_frombuffer(buffer, dtype, shape, order)</c>, which numpy evaluates as
    /// <c>frombuffer(buffer, dtype).reshape(shape, order=order)</c>: with order 'F' the buffer is column-major.
    /// </summary>
    private static PickledArray FromBuffer(object?[] args, AllocationBudget budget)
    {
        var tuple = PickleValue.AsTuple(args, "the arguments of _frombuffer", 4, 4);
        byte[] raw = PickleValue.AsBytes(tuple[0], "the buffer of _frombuffer");
        var dtype = RequireDType(tuple[1], "the dtype of _frombuffer");
        int[] shape = ArrayDecoder.ReadShape(tuple[2], "the shape of _frombuffer");
        bool fortran = PickleValue.AsText(tuple[3], "the order of _frombuffer") switch
        {
            "C" => false,
            "F" => true,
            var other => throw new PickleException($"_frombuffer order '{PickleValue.Quote(other)}' is not 'C' or 'F'", PickleException.Corrupt),
        };
        return new PickledArray { Value = ArrayDecoder.Decode(shape, dtype, fortran, raw, budget) };
    }

    /// <summary><c>_codecs.encode(text, 'latin1')</c>: Python 3 writing bytes for protocol 2, which has no bytes opcode.</summary>
    private static byte[] EncodeLatin1(object?[] args, AllocationBudget budget)
    {
        var tuple = PickleValue.AsTuple(args, "the arguments of _codecs.encode", 2, 2);
        string text = PickleValue.AsText(tuple[0], "the text of _codecs.encode");
        string encoding = PickleValue.AsText(tuple[1], "the encoding of _codecs.encode");
        if (!encoding.Equals("latin1", StringComparison.OrdinalIgnoreCase)
            && !encoding.Equals("latin-1", StringComparison.OrdinalIgnoreCase))
        {
            throw new PickleException($"_codecs.encode with encoding '{PickleValue.Quote(encoding)}' is refused",
                "protocol 2 pickles store bytes with 'latin1' only.");
        }

        budget.Charge(text.Length, "_codecs.encode");
        return PickleValue.Latin1Bytes(text, "the text of _codecs.encode");
    }

    /// <summary><c>bytes()</c>: protocol 2 writes empty bytes this way, e.g. the data of an empty array.</summary>
    private static byte[] EmptyBytes(object?[] args)
    {
        PickleValue.AsTuple(args, "the arguments of builtins.bytes", 0, 0);
        return [];
    }

    /// <summary>
    /// <c>OrderedDict()</c>, filled by SETITEMS afterwards (Python 3); Python 2 passed the items as a list of pairs.
    /// </summary>
    private static PickleDict NewOrderedDict(object?[] args, AllocationBudget budget)
    {
        var tuple = PickleValue.AsTuple(args, "the arguments of OrderedDict", 0, 1);
        budget.Charge(AllocationBudget.ContainerBytes, "OrderedDict");
        var dict = new PickleDict();
        if (tuple.Length == 0)
        {
            return dict;
        }

        if (tuple[0] is not List<object?> items)
        {
            throw new PickleException($"OrderedDict is given {PickleValue.Describe(tuple[0])} instead of a list of pairs", PickleException.Corrupt);
        }

        // The list is copied, and a file can pass the same stored list many times for a few bytes each.
        budget.Charge(items.Count * AllocationBudget.EntryBytes, "OrderedDict");

        foreach (object? item in items)
        {
            IReadOnlyList<object?> pair = item switch
            {
                object?[] t when t.Length == 2 => t,
                List<object?> l when l.Count == 2 => l,
                _ => throw new PickleException($"an OrderedDict item is {PickleValue.Describe(item)} instead of a (key, value) pair", PickleException.Corrupt),
            };
            dict.Set(pair[0], pair[1]);
        }

        return dict;
    }

    /// <summary>
    /// An ndarray state: <c>(version, shape, dtype, is_fortran, rawdata)</c>, or the same without the version as very
    /// old numpy wrote it. Object arrays keep a list of Python objects as rawdata and are refused.
    /// </summary>
    private static NumpyArray ArrayFromState(object? state, AllocationBudget budget)
    {
        var tuple = PickleValue.AsTuple(state, "the ndarray state", 4, 5);
        int first = tuple.Length - 4;
        int[] shape = ArrayDecoder.ReadShape(tuple[first], "the ndarray shape");
        var dtype = RequireDType(tuple[first + 1], "the ndarray dtype");
        bool fortran = PickleValue.AsBool(tuple[first + 2], "the ndarray is_fortran flag");
        if (tuple[first + 3] is List<object?>)
        {
            throw new PickleException("the ndarray data is a list of Python objects (an object array)",
                "only numeric arrays are loaded; convert it with np.asarray(a, dtype=np.float32) before saving.");
        }

        byte[] raw = PickleValue.AsBytes(tuple[first + 3], "the ndarray data");
        return ArrayDecoder.Decode(shape, dtype, fortran, raw, budget);
    }

    /// <summary>
    /// A dtype state: <c>(version, byteorder, subarray, names, fields, elsize, alignment[, flags[, metadata]])</c>
    /// (versions 1 to 4). Sub-arrays and named fields mean a structured dtype, which a single tensor cannot hold.
    /// </summary>
    private static char ByteOrderFromState(object? state)
    {
        var tuple = PickleValue.AsTuple(state, "the dtype state", 7, 9);
        string order = PickleValue.AsText(tuple[1], "the dtype byte order");
        if (order.Length != 1)
        {
            throw new PickleException($"the dtype byte order '{PickleValue.Quote(order)}' is not one character", PickleException.Corrupt);
        }

        if (tuple[2] is not null || tuple[3] is not null || tuple[4] is not null)
        {
            throw new PickleException("the dtype is structured (it has a sub-array or named fields)",
                "save each field as its own array.");
        }

        return order[0];
    }

    private static NumpyDType RequireDType(object? value, string what) => value is PickledDType dtype
        ? dtype.Type
        : throw new PickleException($"{what} is {PickleValue.Describe(value)}, not a numpy dtype", PickleException.Corrupt);
}
