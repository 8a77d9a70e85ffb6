// Starts an embedded Neo4j 5.26 Community DBMS with Bolt on loopback.
// Used by `diffusion neo4j start`; compiled with javac against the jars that
// pom.xml resolves. Runs until SIGTERM, then shuts the DBMS down cleanly.
//
// Usage: java -cp classes:lib/* DiffusionNeo4j HOME PORT PAGECACHE_BYTES TX_MEMORY_BYTES PLUGINS
//                                              IMPORT_DIR PASSWORD_FILE
// PLUGINS is the folder of procedure jars (diffusion's own, DiffusionProcedures.java).
// IMPORT_DIR is the only folder LOAD CSV may read. PASSWORD_FILE holds the password of the
// user neo4j (auth on), or is "-" for auth off. The password travels in a file, never on the
// command line, so `ps` does not show it.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.QueryExecutionException;

public final class DiffusionNeo4j {
    public static void main(String[] args) throws Exception {
        if (args.length != 7) {
            System.err.println("usage: DiffusionNeo4j HOME PORT PAGECACHE_BYTES TX_MEMORY_BYTES "
                               + "PLUGINS IMPORT_DIR PASSWORD_FILE");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        long pageCache = Long.parseLong(args[2]);
        long txMemory = Long.parseLong(args[3]);
        Path plugins = Path.of(args[4]).toAbsolutePath();
        Path importDir = Path.of(args[5]).toAbsolutePath();
        Path passwordFile = args[6].equals("-") ? null : Path.of(args[6]).toAbsolutePath();

        if (passwordFile != null) {
            applyPassword(home, plugins, importDir, passwordFile);
        }
        DatabaseManagementService dbms = builder(home, plugins, importDir, passwordFile != null)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache)
                .setConfig(GraphDatabaseSettings.memory_transaction_global_max_size, txMemory)
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("diffusion-neo4j: shutting down");
            dbms.shutdown();
            System.out.println("diffusion-neo4j: stopped");
            stopped.countDown();
        }));
        // Touch the default database so startup failures surface here, not at first query.
        dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).isAvailable(60_000);
        System.out.println("diffusion-neo4j: ready bolt://127.0.0.1:" + port
                           + (passwordFile != null ? " (auth on)" : " (auth off)"));
        stopped.await();
    }

    /** The settings every start shares, as Neo4j's own neo4j.conf has them. */
    private static DatabaseManagementServiceBuilder builder(Path home, Path plugins, Path importDir,
                                                            boolean auth) {
        // LOAD CSV reads only below the import folder, as server.directories.import does in the
        // default neo4j.conf; without it any file the server can read is readable over Bolt.
        // A local analysis server keeps two rotated transaction log files, not two days of them.
        return new DatabaseManagementServiceBuilder(home)
                .setConfig(GraphDatabaseSettings.auth_enabled, auth)
                .setConfig(GraphDatabaseSettings.load_csv_file_url_root, importDir)
                .setConfig(GraphDatabaseSettings.allow_file_urls, true)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "2 files")
                .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold, 128L << 20)
                .setConfig(GraphDatabaseSettings.plugin_dir, plugins);
    }

    /**
     * Sets the password of user neo4j before Bolt listens, so no client ever meets the default
     * one. Skipped when the marker beside the file says this password was already applied.
     */
    private static void applyPassword(Path home, Path plugins, Path importDir, Path passwordFile)
            throws Exception {
        String password = Files.readString(passwordFile, StandardCharsets.UTF_8).strip();
        String digest = HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8)));
        Path marker = Path.of(passwordFile + ".applied");
        if (Files.exists(marker) && Files.readString(marker).strip().equals(digest)) {
            return;
        }
        DatabaseManagementService offline = builder(home, plugins, importDir, true)
                .setConfig(BoltConnector.enabled, false)
                .build();
        try {
            offline.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("password", password));
        } catch (QueryExecutionException e) {
            if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
                throw e;
            }
        } finally {
            offline.shutdown();
        }
        Files.writeString(marker, digest + "\n");
    }
}
