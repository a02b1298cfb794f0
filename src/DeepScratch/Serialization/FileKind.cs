namespace DeepScratch.Serialization;

/// <summary>What the first bytes of a file say it is, whatever its name.</summary>
internal enum FileKind
{
    /// <summary>Nothing recognisable: the reader that was asked for decides.</summary>
    Unknown,

    /// <summary>0 bytes.</summary>
    Empty,

    /// <summary>A pickle of protocol 2 or later (PROTO opcode first).</summary>
    Pickle,

    /// <summary>A safetensors file whose header fits in the file.</summary>
    SafeTensors,

    /// <summary>A safetensors file (length prefix, then '{') cut short inside its header.</summary>
    TruncatedSafeTensors,

    /// <summary>An IDX file of unsigned bytes (MNIST's images or labels).</summary>
    Idx,

    /// <summary>gzip-compressed data.</summary>
    Gzip,

    /// <summary>A zip archive: numpy .npz, a PyTorch (.pt, .pth) checkpoint, a Keras .keras file.</summary>
    Zip,

    /// <summary>Data compressed by a tool other than gzip (bzip2, xz, zstd), which must be decompressed first.</summary>
    Compressed,

    /// <summary>An archive other than zip (7-Zip, RAR), which must be extracted first.</summary>
    Archive,

    /// <summary>A single numpy array saved by <c>np.save</c>.</summary>
    Npy,

    /// <summary>HDF5 (Keras .h5 weights).</summary>
    Hdf5,

    /// <summary>An image (PNG, JPEG, GIF, BMP, WebP).</summary>
    Image,

    /// <summary>A PDF document.</summary>
    Pdf,

    /// <summary>A Git LFS pointer: the text stub a clone without git-lfs leaves instead of the real file.</summary>
    GitLfsPointer,

    /// <summary>An HTML (or XML) page, typically a download's error or login page.</summary>
    Html,

    /// <summary>A JSON document.</summary>
    Json,

    /// <summary>Other text.</summary>
    Text,
}
