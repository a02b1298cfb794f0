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
        var packed = Header(k, n, PackedMatrix.Keep(ref t_data, length));
        PackPanels(b, ldb, transB, k, n, packed.Pointer);
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
        int q0 = block * job->PanelsPerBlock, q1 = Math.Min(panels, (block + 1) * job->PanelsPerBlock);
        if (job->TransB == Transpose.No)
        {
            PackRows(job, q0, q1);
            return;
        }

        for (int q = q0; q < q1; q++)
        {
            PackPanel(job, q);
        }
    }

    /// <summary>
    /// Panels [q0, q1) of a B stored row-major, row by row: each stored row is read once, in one sequential run, and its
    /// 16-float pieces go to their panels. Panel by panel, every row was a separate 64-byte read 4·ldb bytes after the
    /// last (a new page each time for a 2048-wide B), and packing 2048 x 2048 took 5.5 ms of a 86 ms product.
    /// </summary>
    private static void PackRows(Job* job, int q0, int q1)
    {
        const int Width = PackedMatrix.PanelWidth;
        int k = job->K;
        long panelStride = (long)k * Width;
        // The last panel may be partial: its columns past n are written 0.
        int whole = Math.Min(q1, job->N / Width);
        for (int p = 0; p < k; p++)
        {
            float* src = job->B + (long)p * job->Ldb;
            float* dst = job->Data + p * Width;
            for (int q = q0; q < whole; q++)
            {
                System.Runtime.Intrinsics.Vector512.Store(System.Runtime.Intrinsics.Vector512.Load(src + q * Width), dst + q * panelStride);
            }

            for (int q = Math.Max(q0, whole); q < q1; q++)
            {
                int width = job->N - q * Width;
                for (int j = 0; j < Width; j++)
                {
                    dst[q * panelStride + j] = j < width ? src[q * Width + j] : 0f;
                }
            }
        }
    }

    /// <summary>Panel q of a transposed B: element (p, j) of op(B) at <c>q·k·16 + p·16 + (j − 16q)</c>, zero past column n (as <see cref="PackedMatrix"/>).</summary>
    private static void PackPanel(Job* job, int q)
    {
        const int Width = PackedMatrix.PanelWidth;
        int j0 = q * Width;
        int width = Math.Min(Width, job->N - j0);
        float* panel = job->Data + (long)q * job->K * Width;
        int ldb = job->Ldb;
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
