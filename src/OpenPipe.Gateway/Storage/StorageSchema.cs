using System;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace OpenPipe.Gateway.Storage;

/// <summary>
/// Recognises a database that lost the gateway's tables or columns while the gateway ran (restored
/// from an older dump, dropped and created again, a SQLite table dropped): the answer is to run
/// <see cref="IGatewayStore.InitializeAsync"/> again, which creates or migrates what is missing,
/// rather than giving every later entry up.
/// </summary>
internal static class StorageSchema
{
    /// <summary>Whether <paramref name="exception"/> says a table or column of the gateway's schema is missing.</summary>
    /// <param name="exception">What a storage call threw.</param>
    /// <returns>True for PostgreSQL's undefined table or column, or SQLite's "no such table"/"no such column".</returns>
    public static bool IsMissing(Exception? exception) => exception switch
    {
        PostgresException pg => pg.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn,
        SqliteException { SqliteErrorCode: 1 } sqlite => sqlite.Message.Contains("no such table", StringComparison.OrdinalIgnoreCase)
            || sqlite.Message.Contains("no such column", StringComparison.OrdinalIgnoreCase)
            || sqlite.Message.Contains("has no column named", StringComparison.OrdinalIgnoreCase),
        InvalidOperationException { InnerException: { } inner } => IsMissing(inner),
        _ => false,
    };
}
