namespace DeepScratch.Serialization;

/// <summary>What the bits of a stored array element mean, for the one float32 conversion both weight readers share.</summary>
internal enum ElementKind
{
    /// <summary>A boolean byte: 0 is false, anything else true (numpy's <c>b1</c>).</summary>
    Bool,

    /// <summary>A two's complement integer (numpy's <c>i</c>, safetensors' <c>I8</c>..<c>I64</c>).</summary>
    Signed,

    /// <summary>An unsigned integer (numpy's <c>u</c>, safetensors' <c>U8</c>).</summary>
    Unsigned,

    /// <summary>An IEEE 754 float of 2, 4 or 8 bytes (numpy's <c>f</c>, safetensors' <c>F16</c>, <c>F32</c>, <c>F64</c>).</summary>
    Float,

    /// <summary>bfloat16: the top 16 bits of a float32 (safetensors' <c>BF16</c>).</summary>
    BFloat,
}
