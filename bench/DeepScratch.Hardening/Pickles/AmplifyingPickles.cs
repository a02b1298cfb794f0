using System.Buffers.Binary;
using System.Text;
using DeepScratch.Serialization;

namespace DeepScratch.Hardening.Pickles;

/// <summary>One quadratic-time or memory-amplifying pickle and what loading it cost.</summary>
/// <param name="Outcome">"loaded N arrays" or the start of the refusal message.</param>
/// <param name="AllocatedBytes">Bytes allocated on the loading thread (an upper bound of what it held at once).</param>
/// <param name="Ratio">AllocatedBytes / InputBytes.</param>
/// <param name="WithinBound">Finished (no hang, no crash), with a documented outcome, under <see cref="AmplifyingPickles.Bound"/>.</param>
public sealed record AmplifyingFigures(string Case, long InputBytes, string Outcome, long AllocatedBytes, double Ratio,
    double Milliseconds, bool Hung, bool WithinBound);

/// <summary>
/// Pickles small on disk that would be slow or huge to load naively: dict keys that collide under a weak hash,
/// one stored value referenced many times ("billion laughs"), nesting a million levels deep, long strings and huge
/// declared counts. Each must end, with a result or an <see cref="InvalidDataException"/>, within a generous
/// allocation bound; the time limit only detects hangs (a recursion a million deep would crash the process).
/// </summary>
public static class AmplifyingPickles
{
    /// <summary>The allocation a load may make: 16 bytes per input byte plus 64 MiB (the reader's own budget is 8 per byte plus 1 MiB).</summary>
    public static long Bound(long inputBytes) => (16 * inputBytes) + (64L << 20);

    /// <summary>The cases at <paramref name="scale"/> (1 = full size), each with its builder.</summary>
    public static IReadOnlyList<(string Name, Func<byte[]> Build)> Cases(double scale)
    {
        int Scaled(int full, int least = 8) => Math.Max(least, (int)(full * scale));
        return
        [
            ("dict of colliding int keys", () => CollidingIntKeys(Scaled(90_000))),
            ("dict of colliding float keys", () => CollidingFloatKeys(Scaled(200_000))),
            ("one array referenced by every key", () => SharedArray(Scaled(20_000))),
            ("one big list referenced by every item", () => SharedList(Scaled(50_000), Scaled(200_000))),
            ("_frombuffer of one memoized buffer, repeated", () => RepeatedFromBuffer(Scaled(256 * 1024), Scaled(64))),
            ("_codecs.encode of one memoized str, repeated", () => RepeatedEncode(Scaled(1 << 20), Scaled(1000))),
            ("billion laughs: lists of 2 references, 30 levels", () => BillionLaughs(30, dicts: false)),
            ("billion laughs: dicts of 2 references, 30 levels", () => BillionLaughs(30, dicts: true)),
            ("lists nested 999,999 deep", () => DeepLists(Scaled(999_999), padded: false)),
            ("lists nested 999,999 deep, padded to afford them", () => DeepLists(Scaled(999_999), padded: true)),
            ("tuples nested 99,999 deep by MARK, padded", () => DeepMarkTuples(Scaled(99_999))),
            ("100,001 open MARKs", () => OpenMarks(Scaled(100_001))),
            ("TUPLE1 nested 2,000,000 deep", () => DeepTuple1(Scaled(2_000_000), padded: false)),
            ("TUPLE1 nested 999,999 deep, padded", () => DeepTuple1(Scaled(999_999), padded: true)),
            ("dicts nested 400,000 deep, padded", () => DeepDicts(Scaled(400_000))),
            ("a 32 MiB str key", () => LongString(Scaled(32 << 20))),
            ("a 16 MiB GLOBAL line with no end", () => LongGlobalLine(Scaled(16 << 20))),
            ("a 16 MiB memo index", () => LongGetLine(Scaled(16 << 20))),
            ("shape (2^31-1, 2^31-1) with 16 bytes of data", () => HugeShape()),
            ("LONG4 declaring 2^31-1 bytes", () => [0x80, 2, (byte)'\x8b', 0xff, 0xff, 0xff, 0x7f, 0, (byte)'.']),
            ("BINBYTES8 declaring 2^62 bytes", () => [0x80, 4, (byte)'\x8e', 0, 0, 0, 0, 0, 0, 0, 0x40, 1, 2, 3, (byte)'.']),
            ("FRAME declaring 2^63 bytes", () => [0x80, 4, (byte)'\x95', 0, 0, 0, 0, 0, 0, 0, 0x80, (byte)'N', (byte)'.']),
            ("1,000,000 DUPs of one value", () => Repeat(new Builder().Proto(2).None(), (byte)'2', Scaled(1_000_000)).Stop()),
        ];
    }

    public static IReadOnlyList<AmplifyingFigures> Run(double scale, TimeSpan hangGuard, TextWriter? log = null)
    {
        var figures = new List<AmplifyingFigures>();
        foreach (var (name, build) in Cases(scale))
        {
            byte[] pickle = build();
            int arrays = 0;
            var outcome = GuardedThread.RunOnce(() => arrays = NumpyPickle.Load(pickle, "amplifying.pkl").Count, hangGuard, "guarded pickle load");
            string text = outcome switch
            {
                { Hung: true } => $"HUNG (no answer within {hangGuard.TotalSeconds} s)",
                { Error: null } => $"loaded {arrays} arrays",
                { Error: InvalidDataException e } => "refused: " + e.Message["amplifying.pkl: ".Length..],
                { Error: var e } => $"CRASH {e.GetType().Name}: {e.Message}",
            };
            bool documented = !outcome.Hung && outcome.Error is null or InvalidDataException;
            var row = new AmplifyingFigures(name, pickle.Length, text, outcome.AllocatedBytes,
                (double)outcome.AllocatedBytes / pickle.Length, outcome.Elapsed.TotalMilliseconds, outcome.Hung,
                documented && outcome.AllocatedBytes <= Bound(pickle.Length));
            log?.WriteLine($"pickles: {name}: {Shorten(text)} ({outcome.AllocatedBytes} bytes, {outcome.Elapsed.TotalMilliseconds:F0} ms)");
            figures.Add(row);
        }

        return figures;
    }

    /// <summary>A message cut for one table row (the report keeps it whole).</summary>
    public static string Shorten(string message) => message.Length <= 90 ? message : message[..87] + "...";

    // ---- the cases --------------------------------------------------------------------------------------------------

    /// <summary>Keys (i &lt;&lt; 32) | i: long.GetHashCode (the XOR of the halves) is 0 for all; each maps to a scalar array.</summary>
    private static byte[] CollidingIntKeys(int count)
    {
        var b = new Builder().Proto(2).Op('}');
        b.Op('(');
        for (int i = 1; i <= count; i++)
        {
            b.Op('\x8a').Raw(8).Int64(((long)i << 32) | (uint)i).ScalarArray(i);
            if (i % 1000 == 0)
            {
                b.Op('u').Op('(');
            }
        }

        return b.Op('u').Stop();
    }

    /// <summary>Float keys whose bit patterns collide the same way; floats are not valid names, so this is refused after the dict is built.</summary>
    private static byte[] CollidingFloatKeys(int count)
    {
        var b = new Builder().Proto(2).Op('}').Op('(');
        for (int i = 1; i <= count; i++)
        {
            b.Op('G').Raw(BitConverter.GetBytes(((long)i << 32) | (uint)i).Reverse().ToArray()).None();
            if (i % 1000 == 0)
            {
                b.Op('u').Op('(');
            }
        }

        return b.Op('u').Stop();
    }

    /// <summary>{f'k{i}': a for i in range(n)} with one 100 x 1000 float32 array memoized once.</summary>
    private static byte[] SharedArray(int references)
    {
        var b = new Builder().Proto(2).Op('}').Str("k0").NdArray([100, 1000], new byte[400_000]).Op('q').Raw(0).Op('s');
        for (int i = 1; i < references; i++)
        {
            b.Str("k" + i).Op('h').Raw(0).Op('s');
        }

        return b.Stop();
    }

    /// <summary>
    /// A list of <paramref name="length"/> references to one scalar array, stored once and appended
    /// <paramref name="references"/> times: length x references arrays named by a file of a few hundred KB.
    /// </summary>
    private static byte[] SharedList(int length, int references)
    {
        var b = new Builder().Proto(2).ScalarArray(1).Op('q').Raw(1).Op('0').Op(']').Op('(');
        for (int i = 0; i < length; i++)
        {
            b.Op('h').Raw(1);
        }

        b.Op('e').Op('q').Raw(0).Op('0').Op(']').Op('(');
        for (int i = 0; i < references; i++)
        {
            b.Op('h').Raw(0);
        }

        return b.Op('e').Stop();
    }

    /// <summary>One memoized buffer decoded by _frombuffer <paramref name="calls"/> times.</summary>
    private static byte[] RepeatedFromBuffer(int bufferBytes, int calls)
    {
        bufferBytes -= bufferBytes % 4;
        var b = new Builder().Proto(5).Op(']').Bytes(new byte[bufferBytes]).Op('q').Raw(0).Op('0')
            .DType("f4").Op('q').Raw(1).Op('0')
            .Str("numpy.core.numeric").Str("_frombuffer").Op('\x93').Op('q').Raw(2).Op('0');
        for (int i = 0; i < calls; i++)
        {
            b.Op('h').Raw(2).Op('(').Op('h').Raw(0).Op('h').Raw(1).Op('(').Int(bufferBytes / 4).Op('t').Str("C").Op('t').Op('R').Op('a');
        }

        return b.Stop();
    }

    /// <summary>One memoized str turned into bytes by _codecs.encode <paramref name="calls"/> times.</summary>
    private static byte[] RepeatedEncode(int length, int calls)
    {
        var b = new Builder().Proto(2).Op(']').Str(new string('a', length)).Op('q').Raw(0).Op('0');
        for (int i = 0; i < calls; i++)
        {
            b.Global("_codecs", "encode").Op('h').Raw(0).Str("latin1").Op('\x86').Op('R').Op('a');
        }

        return b.Stop();
    }

    /// <summary>L0 = [array]; L(k+1) = [Lk, Lk] (or {'a': Dk, 'b': Dk}): 2^levels arrays named by a few hundred bytes.</summary>
    private static byte[] BillionLaughs(int levels, bool dicts)
    {
        var b = new Builder().Proto(2).Op(']').ScalarArray(1).Op('a').Op('q').Raw(0).Op('0');
        for (int level = 1; level <= levels; level++)
        {
            if (dicts)
            {
                b.Op('}').Op('(').Str("a").Op('h').Raw((byte)(level - 1)).Str("b").Op('h').Raw((byte)(level - 1)).Op('u');
            }
            else
            {
                b.Op(']').Op('(').Op('h').Raw((byte)(level - 1)).Op('2').Op('e');
            }

            b.Op('q').Raw((byte)level).Op('0');
        }

        return b.Op('h').Raw((byte)levels).Stop();
    }

    /// <summary>
    /// The reader charges each container more than its opcode's bytes earn, so an unpadded file is refused early by
    /// the budget; 12 bytes of padding per level (a bytes value popped at once) let the nesting really be built, so
    /// the walk over a million levels is what gets tested.
    /// </summary>
    private static Builder Padded(int depth) => new Builder().Proto(2).Bytes(new byte[12 * depth]).Op('0');

    private static byte[] DeepLists(int depth, bool padded)
    {
        var b = Repeat(padded ? Padded(depth) : new Builder().Proto(2), (byte)']', depth);
        return Repeat(b, (byte)'a', depth - 1).Stop();
    }

    private static byte[] DeepMarkTuples(int depth)
    {
        var b = Repeat(Padded(depth), (byte)'(', depth).None();
        return Repeat(b, (byte)'t', depth).Stop();
    }

    private static byte[] OpenMarks(int count) => Repeat(new Builder().Proto(2), (byte)'(', count).Stop();

    private static byte[] DeepTuple1(int depth, bool padded) =>
        Repeat((padded ? Padded(depth) : new Builder().Proto(2)).None(), (byte)'\x85', depth).Stop();

    /// <summary>D0, 'a', D1, 'a', D2 ... then SETITEM all the way down: each dict holds the next.</summary>
    private static byte[] DeepDicts(int depth)
    {
        var b = Padded(depth).Op('}');
        for (int i = 1; i < depth; i++)
        {
            b.Op('\x8c').Raw(1, (byte)'a').Op('}');
        }

        return Repeat(b, (byte)'s', depth - 1).Stop();
    }

    private static byte[] LongString(int length)
    {
        var b = new Builder().Proto(4).Op('}').Op('\x8d').Int64(length).Raw(Enumerable.Repeat((byte)'k', length).ToArray());
        return b.ScalarArray(1).Op('s').Stop();
    }

    private static byte[] LongGlobalLine(int length) =>
        new Builder().Proto(2).Op('c').Raw(Enumerable.Repeat((byte)'m', length).ToArray()).ToArray();

    private static byte[] LongGetLine(int length) =>
        new Builder().Proto(2).None().Op('p').Raw(0x30, 0x0a).Op('g').Raw(Enumerable.Repeat((byte)'9', length).ToArray()).Raw(0x0a).Stop();

    private static byte[] HugeShape() =>
        new Builder().Proto(2).NdArray([int.MaxValue, int.MaxValue], new byte[16]).Stop();

    private static Builder Repeat(Builder b, byte opcode, int count) => b.Raw(Enumerable.Repeat(opcode, count).ToArray());

    /// <summary>Pickle opcodes by their Python byte (pickletools' names in the comments of the callers).</summary>
    private sealed class Builder
    {
        private readonly List<byte> _bytes = [];

        public Builder Op(char opcode) => Raw((byte)opcode);

        public Builder Raw(params byte[] bytes)
        {
            _bytes.AddRange(bytes);
            return this;
        }

        public Builder Proto(byte protocol) => Raw(0x80, protocol);

        public Builder None() => Op('N');

        public Builder Int(int value)
        {
            var bytes = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
            return Op('J').Raw(bytes);
        }

        public Builder Int64(long value)
        {
            var bytes = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
            return Raw(bytes);
        }

        public Builder Str(string text)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(text);
            var length = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(length, utf8.Length);
            return Op('X').Raw(length).Raw(utf8);
        }

        public Builder Bytes(byte[] data)
        {
            var length = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(length, data.Length);
            return Op('B').Raw(length).Raw(data);
        }

        public Builder Global(string module, string name) => Op('c').Raw(Encoding.UTF8.GetBytes($"{module}\n{name}\n"));

        /// <summary>numpy.dtype('f4', False, True) with BUILD state (3, '&lt;', None, None, None, -1, -1, 0).</summary>
        public Builder DType(string code) =>
            Global("numpy", "dtype").Str(code).Op('\x89').Op('\x88').Op('\x87').Op('R')
                .Op('(').Int(3).Str("<").None().None().None().Int(-1).Int(-1).Int(0).Op('t').Op('b');

        /// <summary>An ndarray as numpy pickles it: _reconstruct(ndarray, (0,), b'b'), then BUILD (1, shape, dtype, False, raw).</summary>
        public Builder NdArray(int[] shape, byte[] raw)
        {
            Global("numpy.core.multiarray", "_reconstruct").Global("numpy", "ndarray").Op('(').Int(0).Op('t').Bytes("b"u8.ToArray())
                .Op('\x87').Op('R').Op('(').Int(1).Op('(');
            foreach (int d in shape)
            {
                Int(d);
            }

            return Op('t').DType("f4").Op('\x89').Bytes(raw).Op('t').Op('b');
        }

        public Builder ScalarArray(float value) => NdArray([], BitConverter.GetBytes(value));

        public byte[] Stop() => Op('.').ToArray();

        public byte[] ToArray() => [.. _bytes];
    }
}
