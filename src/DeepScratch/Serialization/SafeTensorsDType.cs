using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace DeepScratch.Serialization;

/// <summary>
/// A safetensors element type that can be read as float32: <c>F64</c>, <c>F32</c>, <c>F16</c>, <c>BF16</c>,
/// <c>I64</c>, <c>I32</c>, <c>I16</c>, <c>I8</c> and <c>U8</c>, all little endian as the format prescribes.
/// </summary>
/// <param name="Name">The name the header uses, e.g. <c>F32</c>.</param>
/// <param name="ItemSize">Bytes per element.</param>
internal readonly record struct SafeTensorsDType(string Name, int ItemSize)
{
    /// <summary>The one type the writer produces: IEEE single precision.</summary>
    public static readonly SafeTensorsDType F32 = new("F32", 4);

    private static readonly SafeTensorsDType[] Supported =
    [
        new("F64", 8), F32, new("F16", 2), new("BF16", 2), new("I64", 8), new("I32", 4), new("I16", 2), new("I8", 1), new("U8", 1),
    ];

    /// <summary>The supported names as a phrase for error messages.</summary>
    public const string SupportedList = "F32, F64, F16, BF16, I8, I16, I32, I64 and U8";

    /// <summary>Finds the type the header calls <paramref name="name"/> (case-sensitive, as in the format).</summary>
    public static bool TryParse(string name, out SafeTensorsDType dtype)
    {
        foreach (var candidate in Supported)
        {
            if (candidate.Name == name)
            {
                dtype = candidate;
                return true;
            }
        }

        dtype = default;
        return false;
    }

    /// <summary>
    /// Converts <c>destination.Length</c> little-endian elements from <paramref name="raw"/> to float32. F64 and I64
    /// are rounded to nearest, as numpy's <c>astype(np.float32)</c> does; every other type converts exactly.
    /// </summary>
    public void ToFloat32(ReadOnlySpan<byte> raw, Span<float> destination)
    {
        int n = destination.Length;
        switch (Name)
        {
            case "F32" when BitConverter.IsLittleEndian:
                MemoryMarshal.Cast<byte, float>(raw[..(n * 4)]).CopyTo(destination);
                break;
            case "F32":
                for (int i = 0; i < n; i++)
                {
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]);
                }

                break;
            case "F64":
                for (int i = 0; i < n; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(i * 8)..]);
                }

                break;
            case "F16":
                for (int i = 0; i < n; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(raw[(i * 2)..]);
                }

                break;
            case "BF16":
                // bfloat16 is the top half of a float32, so widening is a shift.
                for (int i = 0; i < n; i++)
                {
                    destination[i] = BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]) << 16);
                }

                break;
            case "I64":
                for (int i = 0; i < n; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]);
                }

                break;
            case "I32":
                for (int i = 0; i < n; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt32LittleEndian(raw[(i * 4)..]);
                }

                break;
            case "I16":
                for (int i = 0; i < n; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt16LittleEndian(raw[(i * 2)..]);
                }

                break;
            case "I8":
                for (int i = 0; i < n; i++)
                {
                    destination[i] = (sbyte)raw[i];
                }

                break;
            case "U8":
                for (int i = 0; i < n; i++)
                {
                    destination[i] = raw[i];
                }

                break;
            default:
                throw new InvalidOperationException($"dtype {Name} has no conversion to float32.");
        }
    }
}
