namespace DeepScratch.Kernels;

/// <summary>
/// Writes op(B) in the panel layout of <see cref="PackedMatrix"/>, the panels shared between the cores through
/// <see cref="WorkerPool"/> (no allocation, unlike Parallel.For), and packs the B of a one-off
/// <see cref="Gemm.Multiply"/> into a buffer the calling thread keeps and reuses, so a steady stream of products
/// allocates nothing and the 512 x 512 pack no longer leaves one core idle. The kept buffer is as large as the largest
/// B packed on the thread (16 MB for 2048 x 2048).
/// </summary>
internal static unsafe class PanelPacking
{
    /// <summary>Below this many elements of B one thread packs it: waking the pool costs more than it saves.</summary>
    private const long ParallelThreshold = 1L << 17;

    /// <summary>Headers kept per thread: a training step alternates a few shapes, each keeps its own.</summary>
    private const int Headers = 4;

    [ThreadStatic]
    private static float[]? t_data;

    [ThreadStatic]
    private static PackedMatrix?[]? t_headers;

    [ThreadStatic]
    private static int t_nextHeader;

    /// <summary>The state one pack job's blocks read (on the caller's stack while the pool runs).</summary>
    private struct Job
    {
        public float* B;
        public int Ldb;
        public Transpose TransB;
        public int K;
        public int N;
        public float* Data;
        public int PanelsPerBlock;
    }

    /// <summary>
    /// op(B) (k x n) packed into this thread's buffer. The result is valid until the thread's next call; it is not
    /// checked for finiteness (<see cref="PackedMatrix.AllFinite"/> false), which only the pixel-byte path uses.
    /// </summary>
    public static PackedMatrix Pack(float* b, int ldb, Transpose transB, int k, int n)
    {
        int length = PackedMatrix.PackedLength(k, n);
        if (t_data is null || t_data.Length < length)
        {
            t_data = new float[length];
        }

        var packed = Header(k, n, t_data);
        fixed (float* data = packed.Data)
        {
            PackPanels(b, ldb, transB, k, n, data);
        }

        return packed;
    }

    /// <summary>Writes op(B) (k x n, stored with rows <paramref name="ldb"/> apart) as panels into <paramref name="data"/> (<see cref="PackedMatrix.PackedLength"/> floats).</summary>
    public static void PackPanels(float* b, int ldb, Transpose transB, int k, int n, float* data)
    {
        int panels = (n + PackedMatrix.PanelWidth - 1) / PackedMatrix.PanelWidth;
        if (panels == 0 || k == 0)
        {
            return;
        }

        int blocks = (long)k * n < ParallelThreshold || Environment.ProcessorCount < 2 ? 1 : Math.Min(panels, 4 * Environment.ProcessorCount);
        var job = new Job { B = b, Ldb = ldb, TransB = transB, K = k, N = n, Data = data, PanelsPerBlock = (panels + blocks - 1) / blocks };
        blocks = (panels + job.PanelsPerBlock - 1) / job.PanelsPerBlock;
        if (blocks == 1)
        {
            PackBlock(&job, 0);
        }
        else
        {
            WorkerPool.Run(&PackBlock, &job, blocks);
        }
    }

    /// <summary>A header for (k, n) over <paramref name="data"/>: reused when one was made for them, else made once.</summary>
    private static PackedMatrix Header(int k, int n, float[] data)
    {
        var headers = t_headers ??= new PackedMatrix?[Headers];
        foreach (var header in headers)
        {
            if (header is not null && header.Rows == k && header.Columns == n && ReferenceEquals(header.Data, data))
            {
                return header;
            }
        }

        var made = PackedMatrix.FromPanels(k, n, data);
        headers[t_nextHeader] = made;
        t_nextHeader = (t_nextHeader + 1) % Headers;
        return made;
    }

    private static void PackBlock(void* state, int block)
    {
        var job = (Job*)state;
        int panels = (job->N + PackedMatrix.PanelWidth - 1) / PackedMatrix.PanelWidth;
        int q1 = Math.Min(panels, (block + 1) * job->PanelsPerBlock);
        for (int q = block * job->PanelsPerBlock; q < q1; q++)
        {
            PackPanel(job, q);
        }
    }

    /// <summary>Panel q: element (p, j) of op(B) at <c>q·k·16 + p·16 + (j − 16q)</c>, zero past column n (as <see cref="PackedMatrix"/>).</summary>
    private static void PackPanel(Job* job, int q)
    {
        const int Width = PackedMatrix.PanelWidth;
        int j0 = q * Width;
        int width = Math.Min(Width, job->N - j0);
        float* panel = job->Data + (long)q * job->K * Width;
        int ldb = job->Ldb;
        if (job->TransB == Transpose.No)
        {
            float* src = job->B + j0;
            for (int p = 0; p < job->K; p++, src += ldb)
            {
                float* dst = panel + p * Width;
                if (width == Width)
                {
                    System.Runtime.Intrinsics.Vector512.Store(System.Runtime.Intrinsics.Vector512.Load(src), dst);
                }
                else
                {
                    for (int j = 0; j < Width; j++)
                    {
                        dst[j] = j < width ? src[j] : 0f;
                    }
                }
            }

            return;
        }

        // Stored row j holds column j of op(B): read each of the panel's rows sequentially.
        for (int j = 0; j < Width; j++)
        {
            float* src = job->B + (long)(j0 + j) * ldb;
            for (int p = 0; p < job->K; p++)
            {
                panel[p * Width + j] = j < width ? src[p] : 0f;
            }
        }
    }
}
