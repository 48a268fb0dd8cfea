"""Link graphs as compressed sparse row arrays with dense int32 node ids."""
