using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DeepScratch.Hardening.Load;

/// <summary>What a hand-written HTTP exchange got: the status (0: none, the connection ended or was dropped) and the body bytes sent.</summary>
/// <param name="Status">The answer's status code, 0 when none came.</param>
/// <param name="BodyBytesSent">Body bytes the client had handed to the socket when the answer came (or it stopped).</param>
public readonly record struct RawResult(int Status, long BodyBytesSent);

/// <summary>
/// HTTP/1.1 over a bare socket, for what HttpClient will not do: dribble a body a few bytes at a time, announce a
/// length and send less, stop mid-body, and keep sending while watching for an early answer.
/// </summary>
internal static class RawHttp
{
    /// <summary>
    /// Sends the head and then up to <paramref name="bodyLength"/> body bytes from <paramref name="filler"/> (repeated)
    /// in pieces of <paramref name="piece"/> bytes, <paramref name="gap"/> apart, until the server answers; with
    /// <paramref name="stopAfter"/>, closes the connection after that many body bytes without waiting for an answer.
    /// </summary>
    public static async Task<RawResult> SendAsync(
        int port, string head, byte[] filler, long bodyLength, int piece, TimeSpan gap, bool chunked = false,
        long? stopAfter = null, TimeSpan? limit = null)
    {
        using var cancel = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(60));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancel.Token).ConfigureAwait(false);
        await socket.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None, cancel.Token).ConfigureAwait(false);
        var answer = ReadStatusAsync(socket, cancel.Token);
        long sent = 0;
        int offset = 0;
        var buffer = new byte[piece];
        try
        {
            while (sent < bodyLength && !answer.IsCompleted)
            {
                if (stopAfter is long stop && sent >= stop)
                {
                    // The client goes away mid-body: a reset, no answer awaited.
                    socket.LingerState = new LingerOption(true, 0);
                    socket.Close();
                    return new RawResult(0, sent);
                }

                int n = (int)Math.Min(piece, bodyLength - sent);
                if (stopAfter is long s2)
                {
                    n = (int)Math.Min(n, s2 - sent);
                }

                for (int i = 0; i < n; i++)
                {
                    buffer[i] = filler[offset];
                    offset = (offset + 1) % filler.Length;
                }

                var data = buffer.AsMemory(0, n);
                if (chunked)
                {
                    await socket.SendAsync(Encoding.ASCII.GetBytes($"{n:X}\r\n"), SocketFlags.None, cancel.Token).ConfigureAwait(false);
                }

                await socket.SendAsync(data, SocketFlags.None, cancel.Token).ConfigureAwait(false);
                if (chunked)
                {
                    await socket.SendAsync("\r\n"u8.ToArray(), SocketFlags.None, cancel.Token).ConfigureAwait(false);
                }

                sent += n;
                if (gap > TimeSpan.Zero)
                {
                    await Task.WhenAny(answer, Task.Delay(gap, cancel.Token)).ConfigureAwait(false);
                }
            }

            if (chunked && sent >= bodyLength && !answer.IsCompleted)
            {
                await socket.SendAsync("0\r\n\r\n"u8.ToArray(), SocketFlags.None, cancel.Token).ConfigureAwait(false);
            }
        }
        catch (SocketException)
        {
            // The server closed its side (after answering, typically): the answer, if any, is still readable.
        }
        catch (OperationCanceledException)
        {
            return new RawResult(0, sent);
        }

        try
        {
            return new RawResult(await answer.ConfigureAwait(false), sent);
        }
        catch (OperationCanceledException)
        {
            return new RawResult(0, sent);
        }
    }

    /// <summary>Reads up to the end of the status line: the status code, or 0 when the connection ends first.</summary>
    private static async Task<int> ReadStatusAsync(Socket socket, CancellationToken cancel)
    {
        var line = new List<byte>();
        var one = new byte[256];
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(one, SocketFlags.None, cancel).ConfigureAwait(false);
                if (n == 0)
                {
                    return 0;
                }

                line.AddRange(one.AsSpan(0, n));
                int end = line.IndexOf((byte)'\n');
                if (end >= 0)
                {
                    string status = Encoding.ASCII.GetString([.. line.Take(end)]);
                    string[] parts = status.Split(' ');
                    return parts.Length >= 2 && int.TryParse(parts[1], out int code) ? code : 0;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return 0;
        }
    }
}
