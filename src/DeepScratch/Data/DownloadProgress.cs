namespace DeepScratch.Data;

/// <summary>Progress of one download, reported as bytes arrive.</summary>
/// <param name="FileName">The file being fetched.</param>
/// <param name="BytesReceived">Bytes received so far.</param>
/// <param name="TotalBytes">The server's announced size, when it gave one.</param>
public readonly record struct DownloadProgress(string FileName, long BytesReceived, long? TotalBytes);
