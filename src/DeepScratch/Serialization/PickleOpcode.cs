namespace DeepScratch.Serialization;

/// <summary>
/// Every opcode of pickle protocols 0 to 5, with Python's own names (<c>Lib/pickle.py</c>, <c>pickletools</c>)
/// so that an error message can be compared line by line with <c>python -m pickletools file.pkl</c>.
/// <see cref="PickleReader"/> implements only the ones numpy weight files need; the rest are listed
/// so that a refusal can name the opcode instead of calling it unknown.
/// </summary>
#pragma warning disable CA1707 // Underscores: the names are Python's, on purpose.
internal enum PickleOpcode : byte
{
    /// <summary>Push a mark: the start of a tuple, list, dict or argument run.</summary>
    MARK = (byte)'(',
    /// <summary>End of the pickle: the top of the stack is the result.</summary>
    STOP = (byte)'.',
    /// <summary>Discard the top of the stack.</summary>
    POP = (byte)'0',
    /// <summary>Discard everything down to and including the topmost mark.</summary>
    POP_MARK = (byte)'1',
    /// <summary>Push the top of the stack again.</summary>
    DUP = (byte)'2',
    /// <summary>Protocol 0 float as decimal text.</summary>
    FLOAT = (byte)'F',
    /// <summary>Protocol 0 int as decimal text.</summary>
    INT = (byte)'I',
    /// <summary>Signed 4-byte little-endian int.</summary>
    BININT = (byte)'J',
    /// <summary>Unsigned 1-byte int.</summary>
    BININT1 = (byte)'K',
    /// <summary>Protocol 0 long as decimal text.</summary>
    LONG = (byte)'L',
    /// <summary>Unsigned 2-byte little-endian int.</summary>
    BININT2 = (byte)'M',
    /// <summary>Push None.</summary>
    NONE = (byte)'N',
    /// <summary>Persistent id as text (an object stored outside the pickle).</summary>
    PERSID = (byte)'P',
    /// <summary>Persistent id from the stack.</summary>
    BINPERSID = (byte)'Q',
    /// <summary>Call: pop arguments and a callable, push the result.</summary>
    REDUCE = (byte)'R',
    /// <summary>Protocol 0 quoted string.</summary>
    STRING = (byte)'S',
    /// <summary>Python 2 str with a 4-byte length.</summary>
    BINSTRING = (byte)'T',
    /// <summary>Python 2 str with a 1-byte length.</summary>
    SHORT_BINSTRING = (byte)'U',
    /// <summary>Protocol 0 unicode as raw-unicode-escape text.</summary>
    UNICODE = (byte)'V',
    /// <summary>UTF-8 str with a 4-byte length.</summary>
    BINUNICODE = (byte)'X',
    /// <summary>Append the top of the stack to the list below it.</summary>
    APPEND = (byte)'a',
    /// <summary>Set an object's state (<c>__setstate__</c>).</summary>
    BUILD = (byte)'b',
    /// <summary>Push a global named by two text lines: module and name.</summary>
    GLOBAL = (byte)'c',
    /// <summary>Build a dict from the key/value pairs above the mark.</summary>
    DICT = (byte)'d',
    /// <summary>Push an empty dict.</summary>
    EMPTY_DICT = (byte)'}',
    /// <summary>Extend the list below the mark with the values above it.</summary>
    APPENDS = (byte)'e',
    /// <summary>Push a memo entry whose index is decimal text.</summary>
    GET = (byte)'g',
    /// <summary>Push a memo entry with a 1-byte index.</summary>
    BINGET = (byte)'h',
    /// <summary>Protocol 0 instance creation.</summary>
    INST = (byte)'i',
    /// <summary>Push a memo entry with a 4-byte index.</summary>
    LONG_BINGET = (byte)'j',
    /// <summary>Build a list from the values above the mark.</summary>
    LIST = (byte)'l',
    /// <summary>Push an empty list.</summary>
    EMPTY_LIST = (byte)']',
    /// <summary>Protocol 1 instance creation.</summary>
    OBJ = (byte)'o',
    /// <summary>Store the top of the stack in the memo at a decimal text index.</summary>
    PUT = (byte)'p',
    /// <summary>Store the top of the stack in the memo at a 1-byte index.</summary>
    BINPUT = (byte)'q',
    /// <summary>Store the top of the stack in the memo at a 4-byte index.</summary>
    LONG_BINPUT = (byte)'r',
    /// <summary>Set one key of the dict below the key and value.</summary>
    SETITEM = (byte)'s',
    /// <summary>Build a tuple from the values above the mark.</summary>
    TUPLE = (byte)'t',
    /// <summary>Push an empty tuple.</summary>
    EMPTY_TUPLE = (byte)')',
    /// <summary>Set the key/value pairs above the mark in the dict below it.</summary>
    SETITEMS = (byte)'u',
    /// <summary>8-byte big-endian double.</summary>
    BINFLOAT = (byte)'G',
    /// <summary>Protocol number (protocol 2 and later).</summary>
    PROTO = 0x80,
    /// <summary><c>cls.__new__(cls, *args)</c>.</summary>
    NEWOBJ = 0x81,
    /// <summary>Object from the copyreg extension registry, 1-byte code.</summary>
    EXT1 = 0x82,
    /// <summary>Object from the copyreg extension registry, 2-byte code.</summary>
    EXT2 = 0x83,
    /// <summary>Object from the copyreg extension registry, 4-byte code.</summary>
    EXT4 = 0x84,
    /// <summary>Build a 1-tuple from the top of the stack.</summary>
    TUPLE1 = 0x85,
    /// <summary>Build a 2-tuple from the top two values.</summary>
    TUPLE2 = 0x86,
    /// <summary>Build a 3-tuple from the top three values.</summary>
    TUPLE3 = 0x87,
    /// <summary>Push True.</summary>
    NEWTRUE = 0x88,
    /// <summary>Push False.</summary>
    NEWFALSE = 0x89,
    /// <summary>Two's complement int with a 1-byte length.</summary>
    LONG1 = 0x8a,
    /// <summary>Two's complement int with a 4-byte length.</summary>
    LONG4 = 0x8b,
    /// <summary>bytes with a 4-byte length.</summary>
    BINBYTES = (byte)'B',
    /// <summary>bytes with a 1-byte length.</summary>
    SHORT_BINBYTES = (byte)'C',
    /// <summary>UTF-8 str with a 1-byte length.</summary>
    SHORT_BINUNICODE = 0x8c,
    /// <summary>UTF-8 str with an 8-byte length.</summary>
    BINUNICODE8 = 0x8d,
    /// <summary>bytes with an 8-byte length.</summary>
    BINBYTES8 = 0x8e,
    /// <summary>Push an empty set.</summary>
    EMPTY_SET = 0x8f,
    /// <summary>Add the values above the mark to the set below it.</summary>
    ADDITEMS = 0x90,
    /// <summary>Build a frozenset from the values above the mark.</summary>
    FROZENSET = 0x91,
    /// <summary><c>cls.__new__(cls, *args, **kwargs)</c>.</summary>
    NEWOBJ_EX = 0x92,
    /// <summary>Push a global named by the two strings on top of the stack.</summary>
    STACK_GLOBAL = 0x93,
    /// <summary>Store the top of the stack at the next free memo index.</summary>
    MEMOIZE = 0x94,
    /// <summary>Start of a frame of the given length (a read-ahead hint).</summary>
    FRAME = 0x95,
    /// <summary>bytearray with an 8-byte length.</summary>
    BYTEARRAY8 = 0x96,
    /// <summary>Push the next out-of-band buffer (protocol 5 <c>buffer_callback</c>).</summary>
    NEXT_BUFFER = 0x97,
    /// <summary>Make the out-of-band buffer on top of the stack read-only.</summary>
    READONLY_BUFFER = 0x98,
}
#pragma warning restore CA1707
