using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace DeepScratch.Serialization;

/// <summary>
/// A pickle virtual machine that can only build data: it runs the opcodes of protocols 2 to 5 over an in-memory
/// stack, but a global is never looked up by name and nothing is ever executed; the only "calls" are the closed set
/// in <see cref="GlobalCalls"/>. Every length read from the file is checked against the bytes left before anything
/// is allocated, and the stack, the marks and the number of values are bounded, so any input ends in a result or an
/// <see cref="InvalidDataException"/>.
/// </summary>
internal ref struct PickleReader
{
    /// <summary>Values the stack may hold at once; an honest numpy pickle holds a few dozen.</summary>
    internal const int MaxStackDepth = 1_000_000;

    /// <summary>Open marks at once (nested tuples, lists and dicts being built).</summary>
    internal const int MaxMarks = 100_000;

    /// <summary>Values pushed or memoized over the whole file.</summary>
    internal const int MaxValues = 4_000_000;

    /// <summary>Longest str accepted, in UTF-8 bytes; .NET strings top out near 2^30 characters.</summary>
    internal const int MaxStringBytes = 512 << 20;

    private const int HighestProtocol = 5;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private readonly List<object?> _stack = [];
    private readonly List<int> _marks = [];
    private readonly Dictionary<long, object?> _memo = [];
    private readonly AllocationBudget _budget;
    private int _position;
    private int _opcodeStart;
    private PickleOpcode _opcode;
    private int _values;

    private PickleReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _budget = AllocationBudget.ForInput(data.Length);
    }

    /// <summary>Runs the pickle in <paramref name="data"/> and returns the object it describes.</summary>
    /// <exception cref="InvalidDataException">The pickle is malformed, truncated or asks for anything not allowed.</exception>
    public static object? Read(ReadOnlySpan<byte> data, string sourceName)
    {
        Identify(data, sourceName);
        var reader = new PickleReader(data);
        try
        {
            return reader.Run();
        }
        catch (PickleException e)
        {
            // Whatever broke first, a file that went through a text-mode copy is damaged everywhere (lengths no
            // longer match the bytes that follow), so the cause is named rather than the first symptom alone.
            throw e.Advice.StartsWith(FileIdentity.CrLfAdvice, StringComparison.Ordinal) || !FileIdentity.LooksCrLfDamaged(data)
                ? e.ToInvalidData(sourceName, reader._opcodeStart)
                : new PickleException(e.Problem, FileIdentity.CrLfAdvice + ".").ToInvalidData(sourceName, reader._opcodeStart);
        }
    }

    /// <summary>
    /// Refuses a file that is clearly something else (a web page, a Git LFS pointer, an image, a cut-short safetensors
    /// file...) with what it is, before the pickle machine reports a meaningless opcode. Callers that could not tell
    /// the format (a model path) land here, so a file that is neither a pickle nor safetensors is named as such.
    /// </summary>
    private static void Identify(ReadOnlySpan<byte> pickle, string sourceName)
    {
        var head = pickle[..Math.Min(pickle.Length, FileIdentity.HeadLength)];
        if (FileIdentity.Mismatch(head, pickle.Length, sourceName, FileKind.Pickle, "a numpy pickle or safetensors weights file") is { } message)
        {
            throw new InvalidDataException(message);
        }

        // A pickle starts with an opcode (PROTO, 0x80, since protocol 2). Anything else (0xFF... bytes, a damaged
        // file) is not a pickle, and a .safetensors name means the user expected that format.
        if (Enum.IsDefined((PickleOpcode)pickle[0]))
        {
            return;
        }

        if (sourceName.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) && pickle.Length >= 8)
        {
            ulong declared = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(pickle);
            throw new InvalidDataException(
                $"{sourceName}: the file is named .safetensors but is not a safetensors file: its first 8 bytes give a header length of "
                + $"{declared}, and {pickle.Length - 8} bytes follow (it starts with bytes {FileIdentity.Hex(pickle)}): "
                + "the file is damaged or is something else; fetch it again.");
        }

        throw new InvalidDataException(
            $"{sourceName}: the file is neither a pickle nor a safetensors file (it starts with bytes {FileIdentity.Hex(pickle)}): "
            + "the file is damaged or is something else.");
    }

    private object? Run()
    {
        while (true)
        {
            _opcodeStart = _position;
            if (_position >= _data.Length)
            {
                throw new PickleException("missing STOP opcode", "the file is truncated or is not a pickle.");
            }

            _opcode = (PickleOpcode)_data[_position++];
            if (_opcode == PickleOpcode.STOP)
            {
                return Pop();
            }

            Execute(_opcode);
        }
    }

    private void Execute(PickleOpcode opcode)
    {
        switch (opcode)
        {
            case PickleOpcode.PROTO: CheckProtocol(Take(1)[0]); break;
            case PickleOpcode.FRAME: CheckFrame(BinaryPrimitives.ReadUInt64LittleEndian(Take(8))); break;
            case PickleOpcode.MARK: PushMark(); break;
            case PickleOpcode.POP: PopOneOrMark(); break;
            case PickleOpcode.POP_MARK: PopToMark(); break;
            case PickleOpcode.DUP: Push(Peek()); break;

            case PickleOpcode.NONE: Push(null); break;
            case PickleOpcode.NEWTRUE: Push(true); break;
            case PickleOpcode.NEWFALSE: Push(false); break;
            case PickleOpcode.BININT: Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
            case PickleOpcode.BININT1: Push((long)Take(1)[0]); break;
            case PickleOpcode.BININT2: Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
            case PickleOpcode.LONG1: Push(ReadLong(Take(1)[0])); break;
            case PickleOpcode.LONG4: Push(ReadLong(BinaryPrimitives.ReadInt32LittleEndian(Take(4)))); break;
            case PickleOpcode.BINFLOAT: Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;

            case PickleOpcode.SHORT_BINUNICODE: Push(ReadString(Take(1)[0])); break;
            case PickleOpcode.BINUNICODE: Push(ReadString(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
            case PickleOpcode.BINUNICODE8: Push(ReadString(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))); break;
            case PickleOpcode.SHORT_BINSTRING: Push(ReadBytes(Take(1)[0])); break;
            case PickleOpcode.BINSTRING: Push(ReadBytes(BinaryPrimitives.ReadInt32LittleEndian(Take(4)))); break;
            case PickleOpcode.SHORT_BINBYTES: Push(ReadBytes(Take(1)[0])); break;
            case PickleOpcode.BINBYTES: Push(ReadBytes(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
            case PickleOpcode.BINBYTES8: Push(ReadBytes(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))); break;
            case PickleOpcode.BYTEARRAY8: Push(ReadBytes(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))); break;

            case PickleOpcode.EMPTY_TUPLE: Push(Array.Empty<object?>()); break;
            case PickleOpcode.TUPLE: Push(NewContainer(PopToMark()).ToArray()); break;
            case PickleOpcode.TUPLE1: Push(PopTop(1)); break;
            case PickleOpcode.TUPLE2: Push(PopTop(2)); break;
            case PickleOpcode.TUPLE3: Push(PopTop(3)); break;
            case PickleOpcode.EMPTY_LIST: Push(NewContainer(new List<object?>())); break;
            case PickleOpcode.LIST: Push(NewContainer(PopToMark())); break;
            case PickleOpcode.APPEND: Append(); break;
            case PickleOpcode.APPENDS: Appends(); break;
            case PickleOpcode.EMPTY_DICT: Push(NewContainer(new PickleDict())); break;
            case PickleOpcode.DICT: Push(Dict()); break;
            case PickleOpcode.SETITEM: SetItem(); break;
            case PickleOpcode.SETITEMS: SetItems(); break;

            case PickleOpcode.MEMOIZE: StoreMemo(_memo.Count); break;
            case PickleOpcode.PUT: StoreMemo(ReadDecimalLine()); break;
            case PickleOpcode.BINPUT: StoreMemo(Take(1)[0]); break;
            case PickleOpcode.LONG_BINPUT: StoreMemo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))); break;
            case PickleOpcode.GET: Push(LoadMemo(ReadDecimalLine())); break;
            case PickleOpcode.BINGET: Push(LoadMemo(Take(1)[0])); break;
            case PickleOpcode.LONG_BINGET: Push(LoadMemo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;

            case PickleOpcode.GLOBAL: PushGlobal(ReadUtf8Line(), ReadUtf8Line()); break;
            case PickleOpcode.STACK_GLOBAL: StackGlobal(); break;
            case PickleOpcode.REDUCE: Reduce(); break;
            case PickleOpcode.BUILD: Build(); break;

            case PickleOpcode.NEXT_BUFFER or PickleOpcode.READONLY_BUFFER:
                throw new PickleException($"out-of-band buffer ({opcode}) without a buffer",
                    "the array data was written outside the pickle by protocol 5's buffer_callback; "
                    + "save it again without buffer_callback (e.g. pickle.dump(obj, f, protocol=4)).");
            default:
                throw Unsupported(opcode);
        }
    }

    // ---- Reading arguments -------------------------------------------------------------------------------------

    /// <summary>The next <paramref name="count"/> bytes of a fixed-size argument.</summary>
    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position)
        {
            throw new PickleException($"the file ends in the middle of {_opcode}", "the file is truncated.");
        }

        var bytes = _data.Slice(_position, count);
        _position += count;
        return bytes;
    }

    /// <summary>The payload of a length-prefixed value, after checking the length against the bytes that remain.</summary>
    private ReadOnlySpan<byte> TakeDeclared(long length)
    {
        int remaining = _data.Length - _position;
        if (length < 0 || length > remaining)
        {
            throw new PickleException($"{_opcode} declares {length} bytes but only {remaining} remain",
                "the file is truncated or corrupt.");
        }

        return Take((int)length);
    }

    private ReadOnlySpan<byte> TakeDeclared(ulong length) => TakeDeclared(length > long.MaxValue ? -1 : (long)length);

    private byte[] ReadBytes(long length)
    {
        var payload = TakeDeclared(length);
        if (payload.Length > Array.MaxLength)
        {
            throw new PickleException($"{_opcode} of {payload.Length} bytes is larger than one .NET array", "split the data.");
        }

        return payload.ToArray();
    }

    private byte[] ReadBytes(ulong length) => ReadBytes(length > long.MaxValue ? -1 : (long)length);

    private string ReadString(long length)
    {
        var payload = TakeDeclared(length);
        if (payload.Length > MaxStringBytes)
        {
            throw new PickleException($"{_opcode} holds a str of {payload.Length} bytes, more than {MaxStringBytes}",
                "save array data as bytes (pickle protocol 3 or later) rather than as text.");
        }

        return DecodeUtf8(payload);
    }

    private string ReadString(ulong length) => ReadString(length > long.MaxValue ? -1 : (long)length);

    private static string DecodeUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new PickleException("a str is not valid UTF-8", PickleException.Corrupt);
        }
    }

    /// <summary>A text argument ending in '\n' (GLOBAL, PUT, GET), without the newline.</summary>
    private ReadOnlySpan<byte> TakeLine()
    {
        int length = _data[_position..].IndexOf((byte)'\n');
        if (length < 0)
        {
            throw new PickleException($"the file ends in the middle of {_opcode} (no end of line)", "the file is truncated.");
        }

        var line = _data.Slice(_position, length);
        _position += length + 1;
        return line;
    }

    private string ReadUtf8Line() => DecodeUtf8(TakeLine());

    private long ReadDecimalLine()
    {
        var line = TakeLine();
        if (!long.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
        {
            throw new PickleException($"{_opcode} has a memo index that is not a non-negative decimal number", PickleException.Corrupt);
        }

        return value;
    }

    /// <summary>A little-endian two's complement int of <paramref name="length"/> bytes (LONG1, LONG4).</summary>
    private long ReadLong(int length)
    {
        if (length > sizeof(long))
        {
            throw new PickleException($"{_opcode} holds a {length}-byte integer, larger than 64 bits",
                "numpy weight pickles only use small integers; the file is corrupt or holds other data.");
        }

        var bytes = TakeDeclared(length);
        long value = 0;
        for (int i = bytes.Length - 1; i >= 0; i--)
        {
            value = (value << 8) | bytes[i];
        }

        bool negative = bytes.Length is > 0 and < sizeof(long) && (bytes[^1] & 0x80) != 0;
        return negative ? value - (1L << (8 * bytes.Length)) : value;
    }

    private static void CheckProtocol(byte protocol)
    {
        if (protocol > HighestProtocol)
        {
            throw new PickleException($"pickle protocol {protocol} is newer than the highest supported ({HighestProtocol})",
                "save the file again with pickle protocol 4 or 5.");
        }
    }

    /// <summary>A frame is only a read-ahead hint for Python, but its length must still fit the file.</summary>
    private void CheckFrame(ulong length)
    {
        int remaining = _data.Length - _position;
        if (length > (ulong)remaining)
        {
            throw new PickleException($"FRAME declares {length} bytes but only {remaining} remain", "the file is truncated.");
        }
    }

    // ---- The stack, the marks and the memo ---------------------------------------------------------------------

    /// <summary>The first stack slot of the innermost open mark: opcodes may not reach below it.</summary>
    private readonly int Floor => _marks.Count == 0 ? 0 : _marks[^1];

    private void Push(object? value)
    {
        if (_stack.Count >= MaxStackDepth)
        {
            throw new PickleException($"more than {MaxStackDepth} values on the stack", PickleException.Hostile);
        }

        CountValue();
        _stack.Add(value);
    }

    private void CountValue()
    {
        if (++_values > MaxValues)
        {
            throw new PickleException($"more than {MaxValues} values", PickleException.Hostile);
        }
    }

    private readonly object? Peek()
    {
        if (_stack.Count <= Floor)
        {
            throw StackUnderflow();
        }

        return _stack[^1];
    }

    private object? Pop()
    {
        object? value = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    /// <summary>POP as Python does it: the top value, or the innermost mark when nothing is above it.</summary>
    private void PopOneOrMark()
    {
        if (_stack.Count > Floor)
        {
            _stack.RemoveAt(_stack.Count - 1);
        }
        else if (_marks.Count > 0)
        {
            _marks.RemoveAt(_marks.Count - 1);
        }
        else
        {
            throw StackUnderflow();
        }
    }

    /// <summary>The top <paramref name="count"/> values as a tuple (TUPLE1 to TUPLE3).</summary>
    private object?[] PopTop(int count)
    {
        if (_stack.Count - Floor < count)
        {
            throw StackUnderflow();
        }

        NewContainer(count);
        var tuple = _stack.GetRange(_stack.Count - count, count).ToArray();
        _stack.RemoveRange(_stack.Count - count, count);
        return tuple;
    }

    private void PushMark()
    {
        if (_marks.Count >= MaxMarks)
        {
            throw new PickleException($"more than {MaxMarks} open marks", PickleException.Hostile);
        }

        _marks.Add(_stack.Count);
    }

    /// <summary>Removes the innermost mark and returns the values above it, oldest first.</summary>
    private List<object?> PopToMark()
    {
        if (_marks.Count == 0)
        {
            throw new PickleException($"{_opcode} without a MARK", PickleException.Corrupt);
        }

        int start = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        var items = _stack.GetRange(start, _stack.Count - start);
        _stack.RemoveRange(start, items.Count);
        return items;
    }

    /// <summary>Charges a new container holding <paramref name="count"/> elements to the budget.</summary>
    private readonly void NewContainer(int count) =>
        _budget.Charge(AllocationBudget.ContainerBytes + (count * AllocationBudget.SlotBytes), _opcode, static op => $"the containers {op} builds");

    /// <summary>Charges a new list or dict (with the elements it starts with) and returns it.</summary>
    private readonly List<object?> NewContainer(List<object?> items)
    {
        NewContainer(items.Count);
        return items;
    }

    private readonly PickleDict NewContainer(PickleDict dict)
    {
        NewContainer(0);
        return dict;
    }

    private readonly PickleException StackUnderflow() =>
        new($"{_opcode} needs a value but the stack is empty (or a MARK is in the way)", PickleException.Corrupt);

    /// <summary>Stores the top of the stack; the memo is a dictionary, so a huge index from the file allocates nothing.</summary>
    private void StoreMemo(long index)
    {
        object? value = Peek();
        CountValue();
        if (!_memo.ContainsKey(index))
        {
            _budget.Charge(AllocationBudget.EntryBytes, "the memo");
        }

        _memo[index] = value;
    }

    private readonly object? LoadMemo(long index) => _memo.TryGetValue(index, out object? value)
        ? value
        : throw new PickleException($"{_opcode} reads memo entry {index}, which was never stored", PickleException.Corrupt);

    // ---- Containers ------------------------------------------------------------------------------------------------

    private void Append()
    {
        object? value = Pop();
        var list = TargetList();
        _budget.Charge(AllocationBudget.SlotBytes, "a list");
        list.Add(value);
    }

    private void Appends()
    {
        var items = PopToMark();
        var list = TargetList();
        _budget.Charge(items.Count * AllocationBudget.SlotBytes, "a list");
        list.AddRange(items);
    }

    private readonly List<object?> TargetList() => Peek() as List<object?>
        ?? throw new PickleException($"{_opcode} on {PickleValue.Describe(Peek())} instead of a list", PickleException.Corrupt);

    private PickleDict Dict()
    {
        var dict = NewContainer(new PickleDict());
        SetPairs(dict, PopToMark());
        return dict;
    }

    private void SetItem()
    {
        object? value = Pop();
        object? key = Pop();
        var dict = TargetDict();
        _budget.Charge(AllocationBudget.EntryBytes, "a dict");
        dict.Set(key, value);
    }

    private void SetItems()
    {
        var items = PopToMark();
        SetPairs(TargetDict(), items);
    }

    private readonly void SetPairs(PickleDict dict, List<object?> items)
    {
        if (items.Count % 2 != 0)
        {
            throw new PickleException($"{_opcode} has an odd number of values ({items.Count}) for key/value pairs", PickleException.Corrupt);
        }

        _budget.Charge(items.Count / 2 * AllocationBudget.EntryBytes, "a dict");

        for (int i = 0; i < items.Count; i += 2)
        {
            dict.Set(items[i], items[i + 1]);
        }
    }

    private readonly PickleDict TargetDict() => Peek() as PickleDict
        ?? throw new PickleException($"{_opcode} on {PickleValue.Describe(Peek())} instead of a dict", PickleException.Corrupt);

    // ---- Globals, calls and state ----------------------------------------------------------------------------------

    private void StackGlobal()
    {
        string name = PickleValue.AsText(Pop(), "the STACK_GLOBAL name");
        string module = PickleValue.AsText(Pop(), "the STACK_GLOBAL module");
        PushGlobal(module, name);
    }

    /// <summary>Names are checked here, when the global is created, so a refused one never reaches REDUCE.</summary>
    private void PushGlobal(string module, string name)
    {
        if (!AllowedGlobals.TryResolve(module, name, out var global))
        {
            if (AllowedGlobals.TryResolve(module.Trim(), name.Trim(), out _))
            {
                // An allowed name with a trailing CR or spaces is damage, not an attack: a text-mode copy turns
                // GLOBAL's LF line ends into CR LF. It is still refused: the rest of the file is damaged too.
                throw new PickleException($"the allowed global '{PickleValue.Quote(module + "." + name)}' is damaged",
                    module.EndsWith('\r') || name.EndsWith('\r')
                        ? FileIdentity.CrLfAdvice + "."
                        : "its name has stray spaces; the file was altered by a text tool: save or copy it again in binary mode.");
            }

            throw new PickleException($"refused global '{PickleValue.Quote(module + "." + name)}'",
                "only numpy arrays are loaded from pickles; this file may try to run code.");
        }

        Push(global);
    }

    private void Reduce()
    {
        object? args = Pop();
        object? callable = Pop();
        if (callable is not AllowedGlobal global)
        {
            throw new PickleException($"REDUCE calls {PickleValue.Describe(callable)}, which is not callable", PickleException.Corrupt);
        }

        var tuple = PickleValue.AsTuple(args, $"the arguments of {AllowedGlobals.Name(global)}", 0, int.MaxValue);
        Push(GlobalCalls.Call(global, tuple, _budget));
    }

    private void Build()
    {
        object? state = Pop();
        GlobalCalls.Build(Peek(), state, _budget);
    }

    private static PickleException Unsupported(PickleOpcode opcode)
    {
        byte code = (byte)opcode;
        if (!Enum.IsDefined(opcode))
        {
            return new PickleException($"unknown opcode 0x{code:x2}", "the file is corrupt or is not a pickle.");
        }

        return opcode switch
        {
            PickleOpcode.INST or PickleOpcode.OBJ or PickleOpcode.NEWOBJ or PickleOpcode.NEWOBJ_EX
                or PickleOpcode.EXT1 or PickleOpcode.EXT2 or PickleOpcode.EXT4 => new PickleException(
                    $"refused opcode {opcode} (0x{code:x2})",
                    "it creates instances of arbitrary classes; only numpy arrays are loaded from pickles."),
            PickleOpcode.PERSID or PickleOpcode.BINPERSID => new PickleException(
                $"refused opcode {opcode} (0x{code:x2})",
                "persistent ids refer to data outside the pickle (e.g. a PyTorch checkpoint); only plain numpy pickles are loaded."),
            _ => new PickleException(
                $"unsupported opcode {opcode} (0x{code:x2})",
                "numpy weight pickles (protocols 2 to 5) do not use it; save the arrays again with pickle protocol 4 or 5."),
        };
    }
}
