using System.Diagnostics;
using DeepScratch.Data;

namespace DeepScratch.Cli.Console;

/// <summary>
/// Progress on stderr: a line rewritten in place on a terminal (at most ten times a second), or a start and an end
/// line when stderr is a file or a pipe, so logs stay readable.
/// </summary>
internal sealed class ConsoleProgress : IProgress<DownloadProgress>
{
    private readonly Stopwatch _sinceDraw = Stopwatch.StartNew();
    private readonly bool _interactive = !System.Console.IsErrorRedirected;
    private string? _current;
    private bool _lineOpen;

    public void Report(DownloadProgress value)
    {
        bool done = value.TotalBytes is long total && value.BytesReceived >= total;
        if (_current != value.FileName)
        {
            _current = value.FileName;
            if (!_interactive)
            {
                System.Console.Error.WriteLine($"Downloading {value.FileName} ...");
            }
        }

        if (_interactive && (done || _sinceDraw.ElapsedMilliseconds >= 100))
        {
            _sinceDraw.Restart();
            string size = value.TotalBytes is long t
                ? $"{Mb(value.BytesReceived)} / {Mb(t)} MB ({100 * value.BytesReceived / Math.Max(t, 1)}%)"
                : $"{Mb(value.BytesReceived)} MB";
            System.Console.Error.Write($"\rDownloading {value.FileName}: {size}   ");
            _lineOpen = true;
        }

        if (done)
        {
            _lineOpen = false;
            System.Console.Error.WriteLine(_interactive ? "" : $"Downloaded {value.FileName} ({Mb(value.BytesReceived)} MB).");
        }
    }

    /// <summary>Ends a progress line left open (a failed or interrupted download), so the next message starts on its own line.</summary>
    public void EndLine()
    {
        if (_lineOpen)
        {
            System.Console.Error.WriteLine();
            _lineOpen = false;
        }
    }

    private static string Mb(long bytes) => (bytes / 1e6).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
}
