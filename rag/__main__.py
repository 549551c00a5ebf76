from rag.serve import main

main()
